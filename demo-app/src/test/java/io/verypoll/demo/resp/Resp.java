package io.verypoll.demo.resp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Builds RESP requests for tests. */
final class Resp {

    private Resp() {
    }

    /** {@code *N\r\n} and a bulk string per argument. */
    static byte[] command(byte[]... arguments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii("*" + arguments.length + "\r\n"));
        for (byte[] argument : arguments) {
            out.writeBytes(ascii("$" + argument.length + "\r\n"));
            out.writeBytes(argument);
            out.writeBytes(ascii("\r\n"));
        }
        return out.toByteArray();
    }

    static byte[] command(String... arguments) {
        byte[][] bytes = new byte[arguments.length][];
        for (int i = 0; i < arguments.length; i++) {
            bytes[i] = arguments[i].getBytes(StandardCharsets.ISO_8859_1);
        }
        return command(bytes);
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }
}
