package io.verypoll.spring.boot.server;

/**
 * How a TCP server spreads its connections over the loops:
 * <pre>{@code
 * TcpServer.builder().port(7007).accept(AcceptMode.REUSEPORT)...   // verypoll.servers.<name>.accept=reuseport
 * }</pre>
 */
public enum AcceptMode {
    /**
     * One listener, on one loop, which hands each accepted connection to the next loop in turn
     * (property value {@code hand-off}).
     */
    HAND_OFF,
    /**
     * One listener per loop on the same address, bound with {@code SO_REUSEPORT} (Linux): the kernel
     * spreads the connections over the listeners by a hash of their addresses, and each stays on the
     * loop that accepted it. A second process of the same user that binds the port with {@code
     * SO_REUSEPORT} too is not refused: see the starter's README, "Listeners across loops".
     */
    REUSEPORT
}
