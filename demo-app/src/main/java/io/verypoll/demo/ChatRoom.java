package io.verypoll.demo;


import io.verypoll.spring.boot.loop.PollLoop;
import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.server.Connection;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The members of the chat, split by loop. Each loop's list is touched only by that loop's thread, so
 * nothing here is locked: a line is broadcast by running one task on every loop
 * ({@link PollLoop#execute}), and each task writes to the members of its own loop.
 */
public final class ChatRoom {

    private final PollLoopGroup group;
    private final List<List<Connection>> membersByLoop = new ArrayList<>();

    public ChatRoom(PollLoopGroup group) {
        this.group = group;
        for (int i = 0; i < group.loops().size(); i++) {
            membersByLoop.add(new ArrayList<>());
        }
    }

    void join(Connection member) {
        membersByLoop.get(member.loop().index()).add(member);
    }

    void leave(Connection member) {
        membersByLoop.get(member.loop().index()).remove(member);
    }

    /** Sends {@code line} (ending in a newline) to every member on every loop, the sender included. */
    void broadcast(byte[] line) {
        // One read-only buffer per loop task; each write takes its own duplicate's position.
        ByteBuffer shared = ByteBuffer.wrap(line).asReadOnlyBuffer();
        for (PollLoop loop : group.loops()) {
            List<Connection> members = membersByLoop.get(loop.index());
            // tryExecute: a line said while the application shuts down is simply not delivered.
            loop.tryExecute(() -> {
                // A copy: a write may close a slow member, which then leaves the list.
                for (Connection member : members.toArray(new Connection[0])) {
                    member.write(shared.duplicate());
                }
            });
        }
    }

    /** Members per loop, for the endpoint and tests; read from other threads, so approximate. */
    public List<Integer> membersPerLoop() {
        List<Integer> counts = new ArrayList<>();
        for (List<Connection> members : membersByLoop) {
            counts.add(members.size());
        }
        return counts;
    }
}
