/**
 * Observability: Micrometer meters over the loops' and servers' counters, the {@code verypoll}
 * health contributor and the {@code /actuator/verypoll} endpoint.
 *
 * <p>May use: {@code context}, {@code server}, {@code loop}, Micrometer and Spring Boot's actuator
 * API. Never {@code autoconfigure}.
 */
package io.verypoll.spring.boot.actuate;
