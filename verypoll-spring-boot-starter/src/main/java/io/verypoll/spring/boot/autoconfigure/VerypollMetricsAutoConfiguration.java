package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.micrometer.core.instrument.MeterRegistry;
import io.verypoll.spring.boot.actuate.VerypollMeterBinder;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * verypoll's meters, once Micrometer and a registry are there. Ordered by name after Boot's composite
 * registry configuration: without that, this class is evaluated before any registry bean exists and
 * silently backs off (io.* sorts before org.*).
 */
@AutoConfiguration(after = VerypollAutoConfiguration.class,
        afterName = {"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({MeterRegistry.class, PollLoopGroup.class})
public final class VerypollMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    VerypollMeterBinder verypollMeterBinder(PollLoopGroup group) {
        return new VerypollMeterBinder(group);
    }
}
