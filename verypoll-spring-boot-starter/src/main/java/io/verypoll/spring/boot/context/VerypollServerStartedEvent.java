package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.server.SocketServer;
import org.springframework.context.ApplicationEvent;

/** Published when a server has bound its address; {@link #server()} tells the real port. */
public class VerypollServerStartedEvent extends ApplicationEvent {

    private final int serverCount;

    public VerypollServerStartedEvent(SocketServer server, int serverCount) {
        super(server);
        this.serverCount = serverCount;
    }

    public SocketServer server() {
        return (SocketServer) getSource();
    }

    /** How many servers the application starts (the single-server port property depends on it). */
    public int serverCount() {
        return serverCount;
    }
}
