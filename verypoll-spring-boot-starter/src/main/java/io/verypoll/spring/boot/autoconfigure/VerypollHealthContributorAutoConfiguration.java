package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.loop.PollLoopGroup;
import io.verypoll.spring.boot.actuate.VerypollHealthIndicator;
import io.verypoll.spring.boot.context.VerypollLifecycle;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/** The {@code verypoll} health contributor (turn off with {@code management.health.verypoll.enabled=false}). */
@AutoConfiguration(after = VerypollAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(PollLoopGroup.class)
@ConditionalOnEnabledHealthIndicator("verypoll")
public final class VerypollHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "verypollHealthIndicator")
    VerypollHealthIndicator verypollHealthIndicator(PollLoopGroup group, ObjectProvider<VerypollLifecycle> lifecycle) {
        return new VerypollHealthIndicator(group, lifecycle.getIfAvailable());
    }
}
