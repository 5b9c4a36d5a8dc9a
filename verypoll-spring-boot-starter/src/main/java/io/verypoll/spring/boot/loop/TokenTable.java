package io.verypoll.spring.boot.loop;

import io.verypoll.Source;
import io.verypoll.Token;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The registrations of one loop, indexed by token.
 *
 * <p>A token value packs {@code generation << 32 | loop << 24 | slot}. A slot is reused after
 * deregistration with its generation bumped, so an event still queued for the old registration
 * (in the same batch of events) no longer matches and is dropped instead of reaching the new owner.
 *
 * <p>Each registration is one immutable {@link Registration}: a look-up returns the source and the
 * handler of exactly the token asked for, never a mix of an old and a new owner of the slot. Slots
 * are taken and given back under the table's lock (registration may come from any thread); the
 * loop thread looks them up without locking.
 */
final class TokenTable {

    static final int SLOT_BITS = 24;
    static final int MAX_LOOPS = 256;
    private static final int SLOT_MASK = (1 << SLOT_BITS) - 1;
    static final int MAX_SLOTS = 1 << SLOT_BITS;

    /** Slot 0 of every loop is its Waker's; its generation stays 0. */
    static final int WAKER_SLOT = 0;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Registration[].class);

    /** One live registration: what a token means until it is released. */
    static final class Registration {
        final long token;
        final Token tokenObject;
        final Source source;
        final EventHandler handler;

        private Registration(long token, Source source, EventHandler handler) {
            this.token = token;
            this.tokenObject = new Token(token);
            this.source = source;
            this.handler = handler;
        }
    }

    private final int loopIndex;
    private final int maxSlots;
    private volatile Registration[] slots = new Registration[64];
    /** Generation of each slot's next registration; guarded by this. */
    private int[] generations = new int[64];
    private int[] free = new int[64];
    private int freeCount;
    private int nextUnused = WAKER_SLOT + 1;
    private volatile int live;

    TokenTable(int loopIndex) {
        this(loopIndex, MAX_SLOTS);
    }

    /** A table that holds fewer slots, so tests can reach the limit. */
    TokenTable(int loopIndex, int maxSlots) {
        if (loopIndex < 0 || loopIndex >= MAX_LOOPS) {
            throw new IllegalArgumentException("loop index must be in [0, " + MAX_LOOPS + "): " + loopIndex);
        }
        if (maxSlots < 2 || maxSlots > MAX_SLOTS) {
            throw new IllegalArgumentException("maxSlots must be in [2, " + MAX_SLOTS + "]: " + maxSlots);
        }
        this.loopIndex = loopIndex;
        this.maxSlots = maxSlots;
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

    /** Takes a free slot for {@code source}. */
    synchronized Registration acquire(Source source, EventHandler handler) {
        int index;
        if (freeCount > 0) {
            index = free[--freeCount];
        } else {
            if (nextUnused >= maxSlots) {
                throw new IllegalStateException("more than " + (maxSlots - 1) + " registrations on loop " + loopIndex);
            }
            index = nextUnused++;
            if (index >= generations.length) {
                int size = Math.min(generations.length * 2, maxSlots);
                generations = Arrays.copyOf(generations, size);
                slots = Arrays.copyOf(slots, size);
            }
            generations[index] = 1;
        }
        long token = ((long) generations[index] << 32) | ((long) loopIndex << SLOT_BITS) | index;
        Registration registration = new Registration(token, source, handler);
        SLOT.setRelease(slots, index, registration);
        live++;
        return registration;
    }

    /** The live registration of {@code token}, or null if it was released (a stale event). */
    Registration lookup(long token) {
        int index = slotOf(token);
        Registration[] current = slots;
        if (index >= current.length) {
            return null;
        }
        Registration registration = (Registration) SLOT.getAcquire(current, index);
        return registration != null && registration.token == token ? registration : null;
    }

    /** Gives the slot back if {@code token} is still live; returns its registration, or null. */
    synchronized Registration release(long token) {
        Registration registration = lookup(token);
        if (registration != null) {
            free(registration);
        }
        return registration;
    }

    private void free(Registration registration) {
        int index = slotOf(registration.token);
        SLOT.setRelease(slots, index, null);
        generations[index] = nextGeneration(generations[index]);
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = index;
        live--;
    }

    /** The generation after {@code generation}; 0 is the Waker's, so wrapping around skips it. */
    static int nextGeneration(int generation) {
        int next = (generation + 1) & Integer.MAX_VALUE;
        return next == 0 ? 1 : next;
    }

    int live() {
        return live;
    }

    /** Releases every live registration and returns them (used when the loop stops). */
    synchronized Registration[] releaseAll() {
        Registration[] current = slots;
        Registration[] released = new Registration[live];
        int n = 0;
        for (int i = WAKER_SLOT + 1; i < nextUnused; i++) {
            Registration registration = current[i];
            if (registration != null) {
                released[n++] = registration;
                free(registration);
            }
        }
        return Arrays.copyOf(released, n);
    }
}
