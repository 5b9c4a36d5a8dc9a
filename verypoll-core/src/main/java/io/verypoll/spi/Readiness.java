package io.verypoll.spi;

/** Readiness bits carried by {@link ReadyList} entries and learned hints. */
public final class Readiness {
    public static final int READABLE = 1;
    public static final int WRITABLE = 1 << 1;
    public static final int ERROR = 1 << 2;
    public static final int READ_CLOSED = 1 << 3;
    public static final int WRITE_CLOSED = 1 << 4;

    /** What a reset or other I/O failure teaches about a stream: nothing more will flow either way. */
    public static final int BROKEN = ERROR | READ_CLOSED | WRITE_CLOSED;

    private Readiness() {
    }
}
