package io.verypoll.demo.resp;

import io.verypoll.spring.boot.frame.FrameTooLongException;
import io.verypoll.spring.boot.server.Connection;
import io.verypoll.spring.boot.server.MessageHandler;

import java.nio.ByteBuffer;

/**
 * The RESP server's commands: PING [message], ECHO message, GET key, SET key value [NX|XX]
 * [EX seconds|PX milliseconds], DEL key..., EXISTS key..., INCR key, CONFIG GET pattern... (save
 * and appendonly, answered as a redis-server started with {@code --save '' --appendonly no}),
 * DEBUG SLEEP seconds and QUIT; anything else gets {@code -ERR unknown command}.
 *
 * <p>One instance per loop, shared by that loop's connections: its scratch (the arguments, the key
 * probe, the reply buffer) is touched by one thread only, and an idle connection carries none of
 * it. Command names are compared in place, in any letter case; keys are looked up through the
 * probe, so only what is stored is copied.
 *
 * <p>DEBUG SLEEP blocks, so it runs on the server's offload executor ({@link Connection#offload});
 * every other command runs at once, on the loop, as it arrives. The starter keeps the replies in
 * request order: one written while a sleep is due waits behind its reply. Commands therefore run in
 * arrival order among themselves, but a command behind a sleep runs before the sleep ends (its reply
 * still comes after the sleep's), where Redis, running DEBUG SLEEP on its only thread, would run
 * it after.
 */
final class RespCommands implements MessageHandler {

    private static final byte[] GET = RespReplies.ascii("GET");
    private static final byte[] SET = RespReplies.ascii("SET");
    private static final byte[] DEL = RespReplies.ascii("DEL");
    private static final byte[] PING = RespReplies.ascii("PING");
    private static final byte[] ECHO = RespReplies.ascii("ECHO");
    private static final byte[] INCR = RespReplies.ascii("INCR");
    private static final byte[] QUIT = RespReplies.ascii("QUIT");
    private static final byte[] EXISTS = RespReplies.ascii("EXISTS");
    private static final byte[] CONFIG = RespReplies.ascii("CONFIG");
    private static final byte[] DEBUG = RespReplies.ascii("DEBUG");
    private static final byte[] SLEEP = RespReplies.ascii("SLEEP");
    private static final byte[] NX = RespReplies.ascii("NX");
    private static final byte[] XX = RespReplies.ascii("XX");
    private static final byte[] EX = RespReplies.ascii("EX");
    private static final byte[] PX = RespReplies.ascii("PX");

    /** What CONFIG GET knows: what redis-benchmark asks, as redis-server --save '' --appendonly no answers. */
    private static final byte[][] CONFIG_NAMES = {RespReplies.ascii("save"), RespReplies.ascii("appendonly")};
    private static final byte[][] CONFIG_VALUES = {RespReplies.ascii(""), RespReplies.ascii("no")};

    /** Values this long or longer are kept in the array they arrived in when possible, as Redis's PROTO_MBULK_BIG_ARG. */
    static final int KEPT_VALUE = 32 * 1024;

    /** Longest expiry taken: keeps deadlines in nanoseconds far from overflowing. */
    private static final long MAX_TTL_MILLIS = 100L * 365 * 24 * 3600 * 1000;
    /** Longest DEBUG SLEEP taken. */
    static final long MAX_SLEEP_SECONDS = 3600;

    private final RespStore store;
    private final RespArguments args = new RespArguments();
    private final RespReplies reply = new RespReplies();
    private final RespKey probe = new RespKey();
    private final boolean[] chosen = new boolean[CONFIG_NAMES.length];

    RespCommands(RespStore store) {
        this.store = store;
    }

    @Override
    public void onMessage(Connection c, ByteBuffer frame) {
        int n = args.parse(frame);
        if (n == 0) {
            return; // an empty command: Redis ignores it too
        }
        long sleepNanos = sleepNanos(n);
        if (sleepNanos >= 0) {
            sleep(c, sleepNanos);
        } else {
            run(c, n);
        }
    }

    /** Carries out the command {@link #args} holds; its reply goes out in its turn. */
    private void run(Connection c, int n) {
        try {
            switch (args.length(0)) {
                case 3 -> {
                    if (args.is(0, GET)) {
                        get(c, n);
                    } else if (args.is(0, SET)) {
                        set(c, n);
                    } else if (args.is(0, DEL)) {
                        delete(c, n);
                    } else {
                        unknown(c);
                    }
                }
                case 4 -> {
                    if (args.is(0, PING)) {
                        ping(c, n);
                    } else if (args.is(0, INCR)) {
                        increment(c, n);
                    } else if (args.is(0, ECHO)) {
                        echo(c, n);
                    } else if (args.is(0, QUIT)) {
                        reply.raw(c, RespReplies.OK);
                        c.close();
                    } else {
                        unknown(c);
                    }
                }
                case 5 -> {
                    if (args.is(0, DEBUG)) {
                        debug(c, n); // DEBUG SLEEP with a valid duration was offloaded before
                    } else {
                        unknown(c);
                    }
                }
                case 6 -> {
                    if (args.is(0, EXISTS)) {
                        exists(c, n);
                    } else if (args.is(0, CONFIG)) {
                        config(c, n);
                    } else {
                        unknown(c);
                    }
                }
                default -> unknown(c);
            }
        } catch (RespError e) {
            reply.error(c, e.getMessage());
        }
    }

    /** The command was over a limit: say which (after the replies due), then the server closes the connection (frame-too-long). */
    @Override
    public void onFrameTooLong(Connection c, FrameTooLongException error) {
        reply.error(c, "ERR Protocol error: " + error.getMessage());
    }

    /** DEBUG SLEEP's duration in nanoseconds if the command is one with a valid duration, else -1. */
    private long sleepNanos(int n) {
        if (n != 3 || !args.is(0, DEBUG) || !args.is(1, SLEEP)) {
            return -1;
        }
        return RespNumbers.secondsAsNanos(args.frame(), args.start(2), args.length(2), MAX_SLEEP_SECONDS);
    }

    /** Blocks an executor thread, as a slow lookup would; replies +OK, in request order. */
    private void sleep(Connection c, long nanos) {
        c.offload(() -> {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
            return RespReplies.OK;
        }, (conn, ok) -> reply.raw(conn, ok),
                // Interrupted at the shutdown timeout, or refused by an executor that stopped.
                (conn, failure) -> reply.error(conn, "ERR DEBUG SLEEP did not complete: " + failure));
    }

    /** DEBUG with anything but SLEEP and a valid duration: an error. */
    private void debug(Connection c, int n) {
        if (n < 2) {
            wrongArity(c, "debug");
        } else if (!args.is(1, SLEEP)) {
            reply.error(c, "ERR unknown subcommand '", args, 1, "'. This server knows DEBUG SLEEP only.");
        } else if (n != 3) {
            wrongArity(c, "debug|sleep");
        } else {
            reply.error(c, "ERR DEBUG SLEEP takes a number of seconds from 0 to " + MAX_SLEEP_SECONDS + ", such as 0.25");
        }
    }

    private void ping(Connection c, int n) {
        if (n == 1) {
            reply.raw(c, RespReplies.PONG);
        } else if (n == 2) {
            reply.bulk(c, args, 1);
        } else {
            wrongArity(c, "ping");
        }
    }

    private void echo(Connection c, int n) {
        if (n != 2) {
            wrongArity(c, "echo");
            return;
        }
        reply.bulk(c, args, 1);
    }

    private void get(Connection c, int n) {
        if (n != 2) {
            wrongArity(c, "get");
            return;
        }
        Object value = store.get(args.key(1, probe));
        if (value == null) {
            reply.raw(c, RespReplies.NIL);
        } else {
            reply.bulk(c, value);
        }
    }

    private void set(Connection c, int n) {
        if (n < 3) {
            wrongArity(c, "set");
            return;
        }
        RespStore.Condition condition = RespStore.Condition.ALWAYS;
        long ttlMillis = 0;
        for (int i = 3; i < n; i++) {
            if (args.is(i, NX) || args.is(i, XX)) {
                if (condition != RespStore.Condition.ALWAYS) {
                    throw RespError.SYNTAX;
                }
                condition = args.is(i, NX) ? RespStore.Condition.IF_ABSENT : RespStore.Condition.IF_PRESENT;
            } else if ((args.is(i, EX) || args.is(i, PX)) && i + 1 < n && ttlMillis == 0) {
                long amount = args.integer(i + 1);
                boolean seconds = args.is(i, EX);
                if (amount <= 0 || amount > (seconds ? MAX_TTL_MILLIS / 1000 : MAX_TTL_MILLIS)) {
                    throw new RespError("ERR invalid expire time in 'set' command");
                }
                ttlMillis = seconds ? amount * 1000 : amount;
                i++;
            } else {
                throw RespError.SYNTAX;
            }
        }
        RespKey key = args.key(1, probe);
        ByteBuffer kept = args.length(2) >= KEPT_VALUE ? keep(c) : null;
        boolean done = kept == null ? store.set(key, args.copy(2), ttlMillis * 1_000_000, condition)
                : store.set(key, new RespStore.Slice(kept.array(), kept.arrayOffset() + args.start(2), args.length(2)),
                        ttlMillis * 1_000_000, condition);
        reply.raw(c, done ? RespReplies.OK : RespReplies.NIL);
    }

    /**
     * The command's frame taken from the connection, if its array holds little besides the value
     * (argument 2): a large value that came in many reads then stays where it was read, as Redis
     * keeps a big argument in its query buffer. Null when it would hold much more (a long key, the
     * slack of a frame whose length was not announced) or cannot be taken: the value is copied.
     */
    private ByteBuffer keep(Connection c) {
        ByteBuffer frame = args.frame();
        int value = args.length(2);
        return frame.capacity() - value <= value / 8 ? c.detachFrame(frame) : null;
    }

    private void delete(Connection c, int n) {
        if (n < 2) {
            wrongArity(c, "del");
            return;
        }
        int deleted = 0;
        for (int i = 1; i < n; i++) {
            if (store.delete(args.key(i, probe))) {
                deleted++;
            }
        }
        reply.integer(c, deleted);
    }

    private void exists(Connection c, int n) {
        if (n < 2) {
            wrongArity(c, "exists");
            return;
        }
        int found = 0;
        for (int i = 1; i < n; i++) {
            if (store.exists(args.key(i, probe))) {
                found++; // a key named twice counts twice, as in Redis
            }
        }
        reply.integer(c, found);
    }

    private void increment(Connection c, int n) {
        if (n != 2) {
            wrongArity(c, "incr");
            return;
        }
        reply.integer(c, store.increment(args.key(1, probe)));
    }

    /** CONFIG GET with glob patterns over the two settings known; CONFIG anything else is an error. */
    private void config(Connection c, int n) {
        if (n < 2 || !args.is(1, GET)) {
            if (n < 2) {
                wrongArity(c, "config");
            } else {
                reply.error(c, "ERR unknown subcommand '", args, 1, "'. This server knows CONFIG GET only.");
            }
            return;
        }
        if (n < 3) {
            wrongArity(c, "config|get");
            return;
        }
        int count = 0;
        for (int k = 0; k < CONFIG_NAMES.length; k++) {
            chosen[k] = false;
            for (int i = 2; i < n && !chosen[k]; i++) {
                chosen[k] = Glob.matches(args.frame(), args.start(i), args.length(i), CONFIG_NAMES[k]);
            }
            if (chosen[k]) {
                count++;
            }
        }
        reply.pairs(c, CONFIG_NAMES, CONFIG_VALUES, chosen, count);
    }

    private void unknown(Connection c) {
        reply.error(c, "ERR unknown command '", args, 0, "'");
    }

    private void wrongArity(Connection c, String command) {
        reply.error(c, "ERR wrong number of arguments for '" + command + "' command");
    }

    /** Redis's glob for CONFIG GET, cut down to {@code *} and {@code ?}, letters in any case. */
    static final class Glob {

        private Glob() {
        }

        /** Greedy, going back to the last star only: O(pattern × name), whatever the pattern. */
        static boolean matches(ByteBuffer pattern, int at, int length, byte[] name) {
            int pi = at;
            int end = at + length;
            int ni = 0;
            int star = -1;
            int resume = 0;
            while (ni < name.length) {
                byte b = pi < end ? pattern.get(pi) : 0;
                if (pi < end && b == '*') {
                    star = pi++;
                    resume = ni;
                } else if (pi < end && (b == '?' || lower(b) == lower(name[ni]))) {
                    pi++;
                    ni++;
                } else if (star >= 0) {
                    pi = star + 1; // let the last star take one more byte of the name
                    ni = ++resume;
                } else {
                    return false;
                }
            }
            while (pi < end && pattern.get(pi) == '*') {
                pi++;
            }
            return pi == end;
        }

        private static int lower(byte b) {
            return b >= 'A' && b <= 'Z' ? b | 0x20 : b;
        }
    }
}
