package io.verypoll.spring.boot.loop;

import java.util.Arrays;

/**
 * A binary min-heap of {@link LoopTimer}s ordered by deadline. Timers remember their index, so
 * cancelling or moving one is O(log n) and allocation-free. Used only by its loop's thread.
 */
final class TimerHeap {

    private LoopTimer[] heap = new LoopTimer[64];
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The earliest deadline; only valid when not empty. */
    long nextDeadline() {
        return heap[0].deadlineNanos;
    }

    void arm(LoopTimer timer, long deadlineNanos) {
        if (timer.isArmed()) {
            remove(timer);
        }
        timer.deadlineNanos = deadlineNanos;
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = timer;
        timer.heapIndex = size;
        size++;
        siftUp(timer.heapIndex);
    }

    void remove(LoopTimer timer) {
        int index = timer.heapIndex;
        if (index < 0) {
            return;
        }
        size--;
        LoopTimer last = heap[size];
        heap[size] = null;
        timer.heapIndex = -1;
        if (index != size) {
            heap[index] = last;
            last.heapIndex = index;
            siftDown(index);
            siftUp(last.heapIndex);
        }
    }

    /** Removes and returns the earliest timer if its deadline is at or before {@code nowNanos}. */
    LoopTimer pollExpired(long nowNanos) {
        if (size == 0 || heap[0].deadlineNanos - nowNanos > 0) {
            return null;
        }
        LoopTimer first = heap[0];
        remove(first);
        return first;
    }

    /** Removes every cancelled timer in one pass, O(n): cheaper than one removal each when many are. */
    void purgeCancelled() {
        int kept = 0;
        for (int i = 0; i < size; i++) {
            LoopTimer timer = heap[i];
            if (timer.isCancelled()) {
                timer.heapIndex = -1;
            } else {
                heap[kept] = timer;
                timer.heapIndex = kept++;
            }
        }
        for (int i = kept; i < size; i++) {
            heap[i] = null;
        }
        size = kept;
        for (int i = (size >>> 1) - 1; i >= 0; i--) {
            siftDown(i);
        }
    }

    /** Disarms every timer (used when the loop stops). */
    void clear() {
        for (int i = 0; i < size; i++) {
            heap[i].heapIndex = -1;
            heap[i] = null;
        }
        size = 0;
    }

    private void siftUp(int index) {
        LoopTimer timer = heap[index];
        while (index > 0) {
            int parent = (index - 1) >>> 1;
            LoopTimer p = heap[parent];
            if (timer.deadlineNanos - p.deadlineNanos >= 0) {
                break;
            }
            heap[index] = p;
            p.heapIndex = index;
            index = parent;
        }
        heap[index] = timer;
        timer.heapIndex = index;
    }

    private void siftDown(int index) {
        LoopTimer timer = heap[index];
        int half = size >>> 1;
        while (index < half) {
            int child = 2 * index + 1;
            int right = child + 1;
            if (right < size && heap[right].deadlineNanos - heap[child].deadlineNanos < 0) {
                child = right;
            }
            LoopTimer c = heap[child];
            if (timer.deadlineNanos - c.deadlineNanos <= 0) {
                break;
            }
            heap[index] = c;
            c.heapIndex = index;
            index = child;
        }
        heap[index] = timer;
        timer.heapIndex = index;
    }
}
