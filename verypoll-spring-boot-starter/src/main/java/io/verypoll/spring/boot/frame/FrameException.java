package io.verypoll.spring.boot.frame;

/**
 * The input cannot be a valid frame: the stream is broken for this decoder and the connection
 * should be closed (nothing after the bad frame can be trusted to be framed correctly).
 */
public class FrameException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public FrameException(String message) {
        super(message);
    }
}
