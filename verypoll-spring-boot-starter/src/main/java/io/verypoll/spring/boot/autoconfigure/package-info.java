/**
 * Spring Boot auto-configuration: one auto-configuration per concern (loops and servers, metrics,
 * health, endpoint), the {@code verypoll.*} configuration properties ({@code verypoll.servers.<name>.*}
 * bound from the server settings' declarations) and the startup failure analyzer. Nothing below
 * depends on it.
 *
 * <p>May use every other package of the starter.
 */
package io.verypoll.spring.boot.autoconfigure;
