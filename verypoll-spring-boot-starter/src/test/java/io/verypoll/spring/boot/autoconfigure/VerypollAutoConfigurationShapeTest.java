package io.verypoll.spring.boot.autoconfigure;

import io.verypoll.spring.boot.context.VerypollLifecycle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The auto-configurations are written as Boot writes its own, and say nothing while beans are made. */
@Timeout(30)
class VerypollAutoConfigurationShapeTest {

    @Test
    void everyAutoConfigurationIsPublicFinalWithPackagePrivateBeanMethods() throws Exception {
        String imports = new ClassPathResource(
                "META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports")
                .getContentAsString(StandardCharsets.UTF_8);
        List<String> names = imports.lines().map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        assertThat(names).hasSize(5);
        for (String name : names) {
            Class<?> type = Class.forName(name);
            assertThat(Modifier.isPublic(type.getModifiers()) && Modifier.isFinal(type.getModifiers())).as(name).isTrue();
            List<Method> beans = Arrays.stream(type.getDeclaredMethods()).filter(m -> m.isAnnotationPresent(Bean.class)).toList();
            assertThat(beans).as(name).isNotEmpty()
                    .allSatisfy(m -> assertThat(Modifier.isPublic(m.getModifiers())).as(m.toString()).isFalse());
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class FailsAfterTheLifecycleBean {
        @Bean
        Object failing(VerypollLifecycle lifecycle) {
            throw new IllegalStateException("made after the lifecycle bean, before it starts");
        }
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void theShutdownTimeoutIsComparedWithTheConfiguredPhaseTimeoutWhenTheLifecycleStarts(CapturedOutput output) {
        ApplicationContextRunner runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(VerypollAutoConfiguration.class))
                .withPropertyValues("verypoll.loops=1", "verypoll.shutdown-timeout=40s");
        runner.withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=60s").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(output).doesNotContain("verypoll.shutdown-timeout");
        });
        // Said where it matters, when the lifecycle starts: a context that never starts says nothing.
        runner.withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=40s")
                .withUserConfiguration(FailsAfterTheLifecycleBean.class)
                .run(context -> assertThat(context).hasFailed());
        assertThat(output).doesNotContain("is not below");
        runner.withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=40s").run(context -> {
            assertThat(context.getBean(VerypollLifecycle.class).isRunning()).isTrue();
            assertThat(output).contains("verypoll.shutdown-timeout (PT40S) is not below "
                    + "spring.lifecycle.timeout-per-shutdown-phase (PT40S)");
        });
    }
}
