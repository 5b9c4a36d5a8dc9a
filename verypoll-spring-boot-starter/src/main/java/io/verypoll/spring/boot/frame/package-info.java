/**
 * Frame decoders: split an inbound byte stream into frames (lines, delimited records,
 * length-prefixed or fixed-length messages) without copying, behind one
 * {@link io.verypoll.spring.boot.frame.FrameDecoder} contract. The built-in ones come from
 * {@link io.verypoll.spring.boot.frame.FrameDecoders}; a failed frame is a
 * {@link io.verypoll.spring.boot.frame.FrameException}. Their mirror images, the
 * {@link io.verypoll.spring.boot.frame.FrameEncoders}, write a frame's header and trailer so that
 * a connection sends them around untouched content with one gathering write.
 *
 * <p>{@code maxFrameLength} bounds a frame's <em>content</em>: the bytes a decoder hands on.
 * Terminators and headers count only when a decoder keeps them.
 *
 * <p>May use: the JDK only. Never verypoll-core nor any other package of the starter: the
 * {@code server} package (and those above it) use this one, never the reverse.
 */
package io.verypoll.spring.boot.frame;
