package io.verypoll.demo.resp;

import java.io.ByteArrayOutputStream;
import java.util.Random;

/**
 * Random input for fuzzing a RESP server: plain random bytes, bytes of RESP's own alphabet (so
 * that headers, digits and CRLFs come up often), and real commands with a few bytes flipped,
 * dropped or added. Seeded, so a failure can be replayed.
 */
final class RespNoise {

    private static final byte[] ALPHABET = "*$\r\n0123456789-+: GETSETpingx".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final String[] NAMES = {"PING", "ECHO", "SET", "GET", "DEL", "EXISTS", "INCR", "CONFIG", "get", "X"};

    private final Random random;

    RespNoise(long seed) {
        this.random = new Random(seed);
    }

    Random random() {
        return random;
    }

    /** One stream of at most {@code maxLength} bytes, of a kind drawn at random. */
    byte[] stream(int maxLength) {
        return switch (random.nextInt(4)) {
            case 0 -> randomBytes(maxLength);
            case 1 -> alphabet(maxLength);
            default -> mutated(maxLength);
        };
    }

    private byte[] randomBytes(int maxLength) {
        byte[] bytes = new byte[random.nextInt(maxLength + 1)];
        random.nextBytes(bytes);
        return bytes;
    }

    private byte[] alphabet(int maxLength) {
        byte[] bytes = new byte[random.nextInt(maxLength + 1)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return bytes;
    }

    /** Valid commands, then a few mutations: most of the stream parses, then something breaks. */
    private byte[] mutated(int maxLength) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (out.size() < maxLength / 2) {
            String[] args = new String[1 + random.nextInt(4)];
            args[0] = NAMES[random.nextInt(NAMES.length)];
            for (int i = 1; i < args.length; i++) {
                args[i] = Integer.toString(random.nextInt(1000));
            }
            out.writeBytes(random.nextInt(4) == 0 ? Resp.ascii(String.join(" ", args) + "\r\n") : Resp.command(args));
        }
        byte[] bytes = out.toByteArray();
        int mutations = random.nextInt(4);
        for (int m = 0; m < mutations && bytes.length > 0; m++) {
            int at = random.nextInt(bytes.length);
            switch (random.nextInt(3)) {
                case 0 -> bytes[at] = ALPHABET[random.nextInt(ALPHABET.length)];
                case 1 -> bytes = splice(bytes, at, 1, new byte[0]);
                default -> bytes = splice(bytes, at, 0, new byte[] {ALPHABET[random.nextInt(ALPHABET.length)]});
            }
        }
        return bytes.length > maxLength ? java.util.Arrays.copyOf(bytes, maxLength) : bytes;
    }

    private static byte[] splice(byte[] bytes, int at, int remove, byte[] insert) {
        byte[] result = new byte[bytes.length - remove + insert.length];
        System.arraycopy(bytes, 0, result, 0, at);
        System.arraycopy(insert, 0, result, at, insert.length);
        System.arraycopy(bytes, at + remove, result, at + insert.length, bytes.length - at - remove);
        return result;
    }

    /** Chunk sizes for feeding: mostly small, sometimes large. */
    int chunk() {
        return random.nextInt(8) == 0 ? 1 + random.nextInt(512) : 1 + random.nextInt(16);
    }
}
