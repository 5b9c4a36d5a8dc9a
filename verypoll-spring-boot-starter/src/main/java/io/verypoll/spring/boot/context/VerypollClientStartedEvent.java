package io.verypoll.spring.boot.context;

import io.verypoll.spring.boot.server.StreamClient;
import org.springframework.context.ApplicationEvent;

/** Published when a client bean has started (its link, if any, is connecting): meters bind to it then. */
public class VerypollClientStartedEvent extends ApplicationEvent {

    public VerypollClientStartedEvent(StreamClient client) {
        super(client);
    }

    public StreamClient client() {
        return (StreamClient) getSource();
    }
}
