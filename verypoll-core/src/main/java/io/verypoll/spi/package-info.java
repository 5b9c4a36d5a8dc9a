/**
 * The backend seam: what the public types of verypoll need from a backend ({@link
 * io.verypoll.spi.Backend}, {@link io.verypoll.spi.Poller}, {@link io.verypoll.spi.IoSource}) and
 * the event storage they share ({@link io.verypoll.spi.ReadyList}, {@link
 * io.verypoll.spi.Readiness}). Not API: the module exports it to {@code io.verypoll.epoll} only,
 * no public signature names it, and it changes with the backends.
 */
package io.verypoll.spi;
