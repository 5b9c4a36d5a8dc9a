/**
 * A one-way non-blocking pipe ({@link io.verypoll.pipe.Pipe}) whose ends are {@link
 * io.verypoll.Source}s.
 */
package io.verypoll.pipe;
