/**
 * verypoll in a Spring application context: the {@link io.verypoll.spring.boot.context.VerypollLifecycle}
 * that starts the server beans and shuts them down gracefully, the published local ports
 * ({@code local.verypoll.<name>.port}, {@link io.verypoll.spring.boot.context.LocalVerypollPort}),
 * the started event and the startup failure.
 *
 * <p>May use: {@code server}, {@code loop}, verypoll-core and Spring Framework/Boot core. Never
 * {@code actuate} or {@code autoconfigure}.
 */
package io.verypoll.spring.boot.context;
