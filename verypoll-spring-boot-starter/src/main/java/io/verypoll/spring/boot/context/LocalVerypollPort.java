package io.verypoll.spring.boot.context;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Injects the port a verypoll server bound: with no name, the application's only server
 * ({@code local.verypoll.port}); with a name, that server ({@code local.verypoll.<name>.port}), the
 * name matched as properties are ({@code kv-udp} or {@code kvUdp}). Handy in tests that start servers
 * on port 0 ({@code verypoll.server-defaults.port=0}). On fields and setter methods of test classes and
 * beans created after the servers started; a name that published no port fails with the names that did.
 *
 * <pre>{@code
 * @LocalVerypollPort("echo")
 * int echoPort;
 * }</pre>
 */
@Target({ElementType.FIELD, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface LocalVerypollPort {

    /** The server's name; empty for the application's only server. */
    String value() default "";
}
