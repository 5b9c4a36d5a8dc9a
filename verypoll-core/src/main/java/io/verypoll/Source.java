package io.verypoll;

import java.io.IOException;

/**
 * Something a {@link Registry} can watch. The built-in sources implement it; a custom source (a
 * connection object, say) implements it by delegating to the source it wraps:
 *
 * <pre>{@code
 * final class Connection implements Source {
 *     private final TcpStream stream;
 *     public void register(Registry r, Token t, Interest i) throws IOException { stream.register(r, t, i); }
 *     public void reregister(Registry r, Token t, Interest i) throws IOException { stream.reregister(r, t, i); }
 *     public void deregister(Registry r) throws IOException { stream.deregister(r); }
 * }
 * }</pre>
 *
 * Call these through the {@link Registry}, not directly.
 */
public interface Source {
    void register(Registry registry, Token token, Interest interests) throws IOException;

    void reregister(Registry registry, Token token, Interest interests) throws IOException;

    void deregister(Registry registry) throws IOException;
}
