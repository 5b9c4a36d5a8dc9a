package io.verypoll.spi;

import io.verypoll.Token;

/**
 * The preallocated storage behind {@code Events}: parallel arrays of tokens and readiness bits,
 * filled by a backend's poller without allocating.
 */
public final class ReadyList {
    private final Token[] tokens;
    private final int[] readiness;
    private int size;

    public ReadyList(int capacity) {
        tokens = new Token[capacity];
        readiness = new int[capacity];
    }

    public int capacity() {
        return tokens.length;
    }

    public int size() {
        return size;
    }

    public boolean isFull() {
        return size == tokens.length;
    }

    public void clear() {
        size = 0;
    }

    public Token token(int index) {
        return tokens[index];
    }

    public int readiness(int index) {
        return readiness[index];
    }

    public void add(Token token, int bits) {
        tokens[size] = token;
        readiness[size] = bits;
        size++;
    }
}
