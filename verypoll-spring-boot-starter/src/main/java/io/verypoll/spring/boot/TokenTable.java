package io.verypoll.spring.boot;

import io.verypoll.Source;

import java.util.Arrays;

/**
 * The registrations of one loop, indexed by token.
 *
 * <p>A token value packs {@code generation << 32 | loop << 24 | slot}. A slot is reused after
 * deregistration with its generation bumped, so an event still queued for the old registration
 * (in the same batch of events) no longer matches and is dropped instead of reaching the new owner.
 *
 * <p>Slots are taken and given back under the table's lock (registration may come from any thread);
 * the loop thread looks them up without locking: the slot array is published through a volatile field
 * and slot objects never move.
 */
final class TokenTable {

    static final int SLOT_BITS = 24;
    static final int MAX_LOOPS = 256;
    private static final int SLOT_MASK = (1 << SLOT_BITS) - 1;
    private static final int MAX_SLOTS = 1 << SLOT_BITS;

    /** Slot 0 of every loop is its Waker's; its generation stays 0. */
    static final int WAKER_SLOT = 0;

    static final class Slot {
        volatile int generation = 1;
        Source source;
        EventHandler handler;
    }

    private final int loopIndex;
    private volatile Slot[] slots = new Slot[64];
    private int[] free = new int[64];
    private int freeCount;
    private int nextUnused = WAKER_SLOT + 1;
    private volatile int live;

    TokenTable(int loopIndex) {
        if (loopIndex < 0 || loopIndex >= MAX_LOOPS) {
            throw new IllegalArgumentException("loop index must be in [0, " + MAX_LOOPS + "): " + loopIndex);
        }
        this.loopIndex = loopIndex;
    }

    long wakerToken() {
        return ((long) loopIndex << SLOT_BITS) | WAKER_SLOT;
    }

    static int loopOf(long token) {
        return (int) (token >>> SLOT_BITS) & (MAX_LOOPS - 1);
    }

    private static int slotOf(long token) {
        return (int) token & SLOT_MASK;
    }

    private static int generationOf(long token) {
        return (int) (token >>> 32);
    }

    /** Takes a free slot for {@code source}; returns the token value. */
    synchronized long acquire(Source source, EventHandler handler) {
        int index;
        if (freeCount > 0) {
            index = free[--freeCount];
        } else {
            if (nextUnused >= MAX_SLOTS) {
                throw new IllegalStateException("more than " + (MAX_SLOTS - 1) + " registrations on loop " + loopIndex);
            }
            index = nextUnused++;
            Slot[] current = slots;
            if (index >= current.length) {
                current = Arrays.copyOf(current, current.length * 2);
                slots = current;
            }
            current[index] = new Slot();
        }
        Slot slot = slots[index];
        slot.source = source;
        slot.handler = handler;
        live++;
        return ((long) slot.generation << 32) | ((long) loopIndex << SLOT_BITS) | index;
    }

    /** The live slot for {@code token}, or null if it was released (a stale event). */
    Slot lookup(long token) {
        int index = slotOf(token);
        Slot[] current = slots;
        if (index >= current.length) {
            return null;
        }
        Slot slot = current[index];
        if (slot == null || slot.generation != generationOf(token) || slot.handler == null) {
            return null;
        }
        return slot;
    }

    /** Gives the slot back; returns its source, or null if the token was not live. */
    synchronized Source release(long token) {
        Slot slot = lookup(token);
        if (slot == null) {
            return null;
        }
        Source source = slot.source;
        slot.source = null;
        slot.handler = null;
        slot.generation = nextGeneration(slot.generation);
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = slotOf(token);
        live--;
        return source;
    }

    /** The generation after {@code generation}; 0 is the Waker's, so wrapping around skips it. */
    private static int nextGeneration(int generation) {
        int next = (generation + 1) & Integer.MAX_VALUE;
        return next == 0 ? 1 : next;
    }

    int live() {
        return live;
    }

    /** Releases every live slot and returns their sources (used when the loop stops). */
    synchronized Source[] releaseAll() {
        Slot[] current = slots;
        Source[] sources = new Source[live];
        int n = 0;
        for (int i = WAKER_SLOT + 1; i < nextUnused; i++) {
            Slot slot = current[i];
            if (slot != null && slot.handler != null) {
                sources[n++] = slot.source;
                slot.source = null;
                slot.handler = null;
                slot.generation = nextGeneration(slot.generation);
            }
        }
        live = 0;
        return Arrays.copyOf(sources, n);
    }
}
