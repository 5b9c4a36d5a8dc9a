package io.verypoll.spring.boot.context;

import org.springframework.beans.factory.annotation.Value;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Injects the port the application's only verypoll server bound ({@code local.verypoll.port}), handy
 * in tests that start it on port 0. With several servers use
 * {@code @Value("${local.verypoll.<name>.port}")}.
 */
@Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Value("${local.verypoll.port}")
public @interface LocalVerypollPort {
}
