package io.verypoll.spring.boot.server;

/** What a server speaks. Which settings apply depends on it ({@link ServerSetting#appliesTo}). */
public enum ServerKind {

    TCP("tcp"),
    UDP("udp"),
    UNIX("unix");

    private final String tag;

    ServerKind(String tag) {
        this.tag = tag;
    }

    /** The lowercase name used in logs, the endpoint's {@code protocol} and messages. */
    public String tag() {
        return tag;
    }
}
