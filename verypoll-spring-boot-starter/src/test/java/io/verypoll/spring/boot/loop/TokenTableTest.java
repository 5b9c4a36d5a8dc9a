package io.verypoll.spring.boot.loop;

import io.verypoll.Interest;
import io.verypoll.Registry;
import io.verypoll.Source;
import io.verypoll.Token;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The token table on its own: layout, staleness, generations, limits and concurrent use. */
@Timeout(60)
class TokenTableTest {

    private static final EventHandler HANDLER = event -> { };

    /** A source that is never registered anywhere: the table only stores it. */
    private static final class FakeSource implements Source {
        @Override
        public void register(Registry registry, Token token, Interest interests) {
        }

        @Override
        public void reregister(Registry registry, Token token, Interest interests) {
        }

        @Override
        public void deregister(Registry registry) {
        }
    }

    private static int slotOf(long token) {
        return (int) token & ((1 << TokenTable.SLOT_BITS) - 1);
    }

    private static int generationOf(long token) {
        return (int) (token >>> 32);
    }

    @Test
    void acquireLookupRelease() {
        TokenTable table = new TokenTable(3);
        Source source = new FakeSource();
        EventHandler handler = event -> { };
        TokenTable.Registration registration = table.acquire(source, handler);

        assertThat(registration.source).isSameAs(source);
        assertThat(registration.handler).isSameAs(handler);
        assertThat(registration.tokenObject.value()).isEqualTo(registration.token);
        assertThat(table.lookup(registration.token)).isSameAs(registration);
        assertThat(table.live()).isEqualTo(1);

        assertThat(table.release(registration.token)).isSameAs(registration);
        assertThat(table.live()).isZero();
        assertThat(table.lookup(registration.token)).isNull();
    }

    @Test
    void tokenPacksGenerationLoopAndSlot() {
        for (int loop : new int[] {0, 1, 7, TokenTable.MAX_LOOPS - 1}) {
            TokenTable table = new TokenTable(loop);
            TokenTable.Registration first = table.acquire(new FakeSource(), HANDLER);
            TokenTable.Registration second = table.acquire(new FakeSource(), HANDLER);

            // The first two registrations take slots 1 and 2 (0 is the Waker's), generation 1.
            assertThat(first.token).isEqualTo((1L << 32) | ((long) loop << 24) | 1);
            assertThat(second.token).isEqualTo((1L << 32) | ((long) loop << 24) | 2);
            assertThat(TokenTable.loopOf(first.token)).isEqualTo(loop);
            assertThat(TokenTable.loopOf(second.token)).isEqualTo(loop);
            // The top bit stays clear: tokens are non-negative whatever the loop index.
            assertThat(first.token).isPositive();
            assertThat(table.wakerToken()).isEqualTo((long) loop << 24);
            assertThat(TokenTable.loopOf(table.wakerToken())).isEqualTo(loop);
        }
    }

    @Test
    void constructorRejectsBadLoopIndexAndSlotLimits() {
        assertThatThrownBy(() -> new TokenTable(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenTable(TokenTable.MAX_LOOPS)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenTable(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenTable(0, TokenTable.MAX_SLOTS + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aReleasedTokenIsStaleAndCannotBeReleasedTwice() {
        TokenTable table = new TokenTable(0);
        TokenTable.Registration registration = table.acquire(new FakeSource(), HANDLER);
        table.release(registration.token);

        assertThat(table.lookup(registration.token)).isNull();
        assertThat(table.release(registration.token)).isNull();
        assertThat(table.live()).isZero();
    }

    @Test
    void lookupOfTokensNeverHandedOutFindsNothing() {
        TokenTable table = new TokenTable(2);
        TokenTable.Registration registration = table.acquire(new FakeSource(), HANDLER);
        int slot = slotOf(registration.token);

        // Same slot, other generation; a slot beyond the array; and the Waker's token.
        assertThat(table.lookup(registration.token + (1L << 32))).isNull();
        assertThat(table.lookup(((long) 2 << 24) | 5_000_000)).isNull();
        assertThat(table.lookup(table.wakerToken())).isNull();
        assertThat(table.lookup((1L << 32) | ((long) 2 << 24) | slot)).isSameAs(registration);
    }

    @Test
    void aReusedSlotGetsANewGenerationSoTheOldTokenNeverReachesTheNewOwner() {
        TokenTable table = new TokenTable(1);
        TokenTable.Registration old = table.acquire(new FakeSource(), HANDLER);
        table.release(old.token);
        TokenTable.Registration reused = table.acquire(new FakeSource(), HANDLER);

        assertThat(slotOf(reused.token)).isEqualTo(slotOf(old.token));
        assertThat(generationOf(reused.token)).isEqualTo(generationOf(old.token) + 1);
        assertThat(table.lookup(old.token)).isNull();
        assertThat(table.lookup(reused.token)).isSameAs(reused);
        // A late release of the old token must not end the new registration.
        assertThat(table.release(old.token)).isNull();
        assertThat(table.lookup(reused.token)).isSameAs(reused);
        assertThat(table.live()).isEqualTo(1);
    }

    @Test
    void manyReusesOfOneSlotGiveDistinctTokens() {
        TokenTable table = new TokenTable(0);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            TokenTable.Registration registration = table.acquire(new FakeSource(), HANDLER);
            assertThat(slotOf(registration.token)).isEqualTo(1);
            assertThat(seen.add(registration.token)).as("token %d handed out twice", registration.token).isTrue();
            table.release(registration.token);
        }
    }

    @Test
    void generationWrapsAroundToOneAndNeverToZero() {
        assertThat(TokenTable.nextGeneration(Integer.MAX_VALUE)).isEqualTo(1);
        assertThat(TokenTable.nextGeneration(Integer.MAX_VALUE - 1)).isEqualTo(Integer.MAX_VALUE);
        assertThat(TokenTable.nextGeneration(0)).isEqualTo(1);
        assertThat(TokenTable.nextGeneration(1)).isEqualTo(2);
        Random random = new Random(20240601);
        for (int i = 0; i < 1_000_000; i++) {
            // Every int, not only the reachable ones: 0 must come out of none of them.
            int generation = random.nextInt();
            int next = TokenTable.nextGeneration(generation);
            assertThat(next).as("after %d", generation).isPositive();
            if (generation > 0 && generation < Integer.MAX_VALUE) {
                assertThat(next).isEqualTo(generation + 1);
            }
        }
        for (int generation = Integer.MIN_VALUE; generation != Integer.MIN_VALUE + 1000; generation++) {
            assertThat(TokenTable.nextGeneration(generation)).isPositive();
        }
    }

    @Test
    void theWakersSlotIsNeverHandedOut() {
        TokenTable table = new TokenTable(4);
        List<TokenTable.Registration> registrations = new ArrayList<>();
        Random random = new Random(7);
        for (int i = 0; i < 2_000; i++) {
            // Acquire and release in a random mix, so that free-list reuse is covered too.
            if (!registrations.isEmpty() && random.nextInt(3) == 0) {
                table.release(registrations.remove(random.nextInt(registrations.size())).token);
            } else {
                TokenTable.Registration registration = table.acquire(new FakeSource(), HANDLER);
                assertThat(slotOf(registration.token)).isNotEqualTo(TokenTable.WAKER_SLOT);
                assertThat(registration.token).isNotEqualTo(table.wakerToken());
                registrations.add(registration);
            }
        }
        assertThat(table.lookup(table.wakerToken())).isNull();
        assertThat(table.releaseAll()).hasSize(registrations.size())
                .allSatisfy(r -> assertThat(slotOf(r.token)).isNotZero());
    }

    @Test
    void theTableGrowsPastItsInitialSixtyFourSlots() {
        TokenTable table = new TokenTable(9);
        List<TokenTable.Registration> registrations = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            registrations.add(table.acquire(new FakeSource(), HANDLER));
        }
        assertThat(table.live()).isEqualTo(1_000);
        Set<Integer> slots = new HashSet<>();
        for (TokenTable.Registration registration : registrations) {
            assertThat(slots.add(slotOf(registration.token))).isTrue();
            // Registrations made before a growth are still found after it.
            assertThat(table.lookup(registration.token)).isSameAs(registration);
        }
        assertThat(slots).contains(1, 64, 65, 1_000).doesNotContain(0);
    }

    @Test
    void theSlotLimitThrowsAClearErrorAndReleasingMakesRoomAgain() {
        TokenTable table = new TokenTable(5, 4);
        List<TokenTable.Registration> registrations = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            registrations.add(table.acquire(new FakeSource(), HANDLER));
        }
        assertThatThrownBy(() -> table.acquire(new FakeSource(), HANDLER))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("more than 3 registrations on loop 5");
        // The failed acquire changed nothing.
        assertThat(table.live()).isEqualTo(3);
        assertThat(registrations).allSatisfy(r -> assertThat(table.lookup(r.token)).isSameAs(r));

        table.release(registrations.get(1).token);
        TokenTable.Registration again = table.acquire(new FakeSource(), HANDLER);
        assertThat(slotOf(again.token)).isEqualTo(slotOf(registrations.get(1).token));
        assertThatThrownBy(() -> table.acquire(new FakeSource(), HANDLER)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theSlotLimitHoldsWhenItIsNotAPowerOfTwoAboveTheInitialSize() {
        // Growth doubles from 64 but must stop at the limit: 100 slots hold 99 registrations.
        TokenTable table = new TokenTable(0, 100);
        List<TokenTable.Registration> registrations = new ArrayList<>();
        for (int i = 0; i < 99; i++) {
            registrations.add(table.acquire(new FakeSource(), HANDLER));
        }
        assertThatThrownBy(() -> table.acquire(new FakeSource(), HANDLER))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("more than 99 registrations");
        assertThat(registrations).allSatisfy(r -> assertThat(table.lookup(r.token)).isSameAs(r));
        assertThat(slotOf(registrations.get(98).token)).isEqualTo(99);
    }

    @Test
    void releaseAllReturnsExactlyTheLiveOnesAndEmptiesTheTable() {
        TokenTable table = new TokenTable(6);
        List<TokenTable.Registration> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            all.add(table.acquire(new FakeSource(), HANDLER));
        }
        Set<TokenTable.Registration> live = new HashSet<>(all);
        for (int i = 0; i < all.size(); i += 3) {
            table.release(all.get(i).token);
            live.remove(all.get(i));
        }

        TokenTable.Registration[] released = table.releaseAll();

        assertThat(released).containsExactlyInAnyOrderElementsOf(live);
        assertThat(table.live()).isZero();
        assertThat(all).allSatisfy(r -> assertThat(table.lookup(r.token)).isNull());
        assertThat(table.releaseAll()).isEmpty();
        // The table is still usable, and no old token resolves to a new registration.
        TokenTable.Registration fresh = table.acquire(new FakeSource(), HANDLER);
        assertThat(table.lookup(fresh.token)).isSameAs(fresh);
        assertThat(all).allSatisfy(r -> assertThat(table.lookup(r.token)).isNull());
        assertThat(table.live()).isEqualTo(1);
    }

    @Test
    void releaseAllOfAnEmptyTableReturnsNothing() {
        assertThat(new TokenTable(0).releaseAll()).isEmpty();
    }

    /**
     * Threads acquire and release at once while a reader looks tokens up without the lock, as the
     * loop does. An ownership map catches a slot handed to two live registrations; the reader
     * catches a look-up that returns another token's registration.
     */
    @Test
    void concurrentAcquireAndReleaseKeepOneOwnerPerSlotAndAConsistentLiveCount() throws Exception {
        int threads = 4;
        int iterations = 20_000;
        int maxHeld = 8;
        TokenTable table = new TokenTable(11, 64);
        ConcurrentHashMap<Integer, TokenTable.Registration> owners = new ConcurrentHashMap<>();
        AtomicInteger held = new AtomicInteger();
        // Recently issued tokens for the reader; racy writes are fine, any token is a valid question.
        AtomicLongArray recent = new AtomicLongArray(256);
        AtomicBoolean writersDone = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            List<Future<Set<Long>>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                writers.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    List<TokenTable.Registration> mine = new ArrayList<>();
                    Set<Long> issued = new HashSet<>();
                    start.await(10, TimeUnit.SECONDS);
                    for (int i = 0; i < iterations; i++) {
                        if (mine.size() < maxHeld && (mine.isEmpty() || random.nextBoolean())) {
                            TokenTable.Registration registration = table.acquire(new FakeSource(), HANDLER);
                            int count = held.incrementAndGet();
                            TokenTable.Registration previous = owners.putIfAbsent(slotOf(registration.token), registration);
                            assertThat(previous).as("slot %d given to two live registrations", slotOf(registration.token))
                                    .isNull();
                            assertThat(issued.add(registration.token)).isTrue();
                            assertThat(table.lookup(registration.token)).isSameAs(registration);
                            assertThat(count).isLessThanOrEqualTo(threads * maxHeld);
                            recent.set(random.nextInt(recent.length()), registration.token);
                            mine.add(registration);
                        } else {
                            TokenTable.Registration registration = mine.remove(random.nextInt(mine.size()));
                            // Ownership is given up first: once released, the slot may be reused at once.
                            assertThat(owners.remove(slotOf(registration.token), registration)).isTrue();
                            held.decrementAndGet();
                            assertThat(table.release(registration.token)).isSameAs(registration);
                            assertThat(table.lookup(registration.token)).isNull();
                        }
                    }
                    for (TokenTable.Registration registration : mine) {
                        owners.remove(slotOf(registration.token), registration);
                        held.decrementAndGet();
                        assertThat(table.release(registration.token)).isSameAs(registration);
                    }
                    return issued;
                }));
            }
            Future<Long> reader = pool.submit(() -> {
                Random random = new Random(99);
                long lookups = 0;
                start.await(10, TimeUnit.SECONDS);
                while (!writersDone.get() && lookups < 100_000_000L) {
                    long token = recent.get(random.nextInt(recent.length()));
                    TokenTable.Registration found = table.lookup(token);
                    if (found != null) {
                        assertThat(found.token).isEqualTo(token);
                        assertThat(found.tokenObject.value()).isEqualTo(token);
                    }
                    int live = table.live();
                    assertThat(live).isBetween(0, threads * maxHeld);
                    lookups++;
                }
                return lookups;
            });
            start.countDown();
            Set<Long> allIssued = new HashSet<>();
            int issuedCount = 0;
            for (Future<Set<Long>> writer : writers) {
                Set<Long> issued = writer.get(40, TimeUnit.SECONDS);
                issuedCount += issued.size();
                allIssued.addAll(issued);
            }
            writersDone.set(true);
            assertThat(reader.get(10, TimeUnit.SECONDS)).isPositive();
            // No token was ever handed out twice, across threads either.
            assertThat(allIssued).hasSize(issuedCount);
            assertThat(table.live()).isZero();
            assertThat(table.releaseAll()).isEmpty();
            assertThat(held.get()).isZero();
        } finally {
            pool.shutdownNow();
        }
    }
}
