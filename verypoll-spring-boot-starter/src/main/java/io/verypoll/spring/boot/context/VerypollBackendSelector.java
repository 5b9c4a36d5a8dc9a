package io.verypoll.spring.boot.context;

import io.verypoll.Poll;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.bind.BindResult;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.PriorityOrdered;
import org.springframework.core.env.Environment;

import java.util.Locale;

/**
 * Applies {@code verypoll.backend} ({@code nio}, {@code epoll} or {@code auto}) to verypoll-core
 * before any bean exists: a bean factory post-processor runs after the bean definitions are read and
 * before the first singleton is made, so no bean can open a Poll or a socket of another backend first.
 * The JVM has one backend, fixed at its first Poll or source ({@link Poll#useBackend}); the value is
 * Spring's, so command-line arguments, {@code -Dverypoll.backend}, {@code VERYPOLL_BACKEND} and
 * {@code application.properties} resolve in Boot's usual order. Unset, the core's own choice stands
 * ({@code -Dverypoll.backend}, else nio).
 *
 * <p>If the JVM already uses a backend (code opened a Poll before the context, or an earlier context
 * of the same JVM chose another), the startup fails with both named rather than run on a backend the
 * configuration did not ask for; {@code auto} accepts whichever is in use.
 *
 * <pre>{@code
 * # application.properties: epoll where it works (Linux, Java 22+, native access), NIO otherwise
 * verypoll.backend=auto
 * }</pre>
 */
public final class VerypollBackendSelector implements BeanFactoryPostProcessor, EnvironmentAware, PriorityOrdered {

    /** The property, also the name of the core's system property (one name, both ways of setting it). */
    public static final String PROPERTY = "verypoll.backend";

    private static final Log log = LogFactory.getLog(VerypollBackendSelector.class);

    /** The values of {@value #PROPERTY}. */
    public enum Backend {
        /** java.nio Selectors: every JDK from 17. */
        NIO,
        /** Linux epoll through the foreign function API: Java 22+, verypoll-epoll present, native access enabled. */
        EPOLL,
        /** epoll where it works, NIO otherwise, silently. */
        AUTO
    }

    private Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public int getOrder() {
        return HIGHEST_PRECEDENCE;
    }

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
        apply(environment);
    }

    /**
     * @return the backend in use after applying the property, or null if it is unset (the core then
     *     chooses at its first use)
     * @throws IllegalStateException if the backend cannot work here, or the JVM uses the other one
     */
    static String apply(Environment environment) {
        BindResult<Backend> bound = Binder.get(environment).bind(PROPERTY, Backend.class);
        if (!bound.isBound()) {
            return null;
        }
        String requested = bound.get().name().toLowerCase(Locale.ROOT);
        String inUse;
        try {
            inUse = Poll.useBackend(requested);
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "; the value came from " + origin(environment), e);
        }
        log.info("verypoll backend: " + inUse + (requested.equals(inUse) ? "" : " (" + PROPERTY + "=" + requested + ")"));
        return inUse;
    }

    /** Where the value came from, as Boot describes origins ("class path resource [application.properties] - 3:18"). */
    private static String origin(Environment environment) {
        ConfigurationPropertyName name = ConfigurationPropertyName.of(PROPERTY);
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            ConfigurationProperty property = source.getConfigurationProperty(name);
            if (property != null) {
                return property.getOrigin() != null ? property.getOrigin().toString() : String.valueOf(source.getUnderlyingSource());
            }
        }
        return "the environment";
    }
}
