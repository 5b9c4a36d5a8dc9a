package io.verypoll.spring.boot.server;

import java.util.Arrays;
import java.util.function.Consumer;

/** The connections of one loop and their write batch; touched only by that loop's thread. */
final class ConnectionList {
    private Connection[] items = new Connection[16];
    private int size;
    WriteBatch batch;

    void add(Connection connection) {
        if (size == items.length) {
            items = Arrays.copyOf(items, size * 2);
        }
        connection.listIndex = size;
        items[size++] = connection;
    }

    void remove(Connection connection) {
        int index = connection.listIndex;
        size--;
        Connection last = items[size];
        items[size] = null;
        if (index != size) {
            items[index] = last;
            last.listIndex = index;
        }
        connection.listIndex = -1;
    }

    int size() {
        return size;
    }

    void forEachCopy(Consumer<Connection> action) {
        Connection[] copy = Arrays.copyOf(items, size);
        for (Connection connection : copy) {
            action.accept(connection);
        }
    }
}
