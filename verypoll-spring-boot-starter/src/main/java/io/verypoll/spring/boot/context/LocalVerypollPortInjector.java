package io.verypoll.spring.boot.context;

import org.springframework.beans.BeansException;
import org.springframework.beans.PropertyValues;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.config.InstantiationAwareBeanPostProcessor;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.util.ReflectionUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Injects {@link LocalVerypollPort} fields and setters from the published {@code local.verypoll.*}
 * properties; what a plain {@code @Value} placeholder cannot do for a named server, or with a clear
 * message when the name is wrong.
 */
public final class LocalVerypollPortInjector implements InstantiationAwareBeanPostProcessor, EnvironmentAware {

    private Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public PropertyValues postProcessProperties(PropertyValues values, Object bean, String beanName) throws BeansException {
        ReflectionUtils.doWithFields(bean.getClass(), field -> {
            LocalVerypollPort port = AnnotatedElementUtils.findMergedAnnotation(field, LocalVerypollPort.class);
            if (port != null) {
                ReflectionUtils.makeAccessible(field);
                ReflectionUtils.setField(field, bean, convert(port(port.value(), beanName), field.getType(), beanName));
            }
        });
        ReflectionUtils.doWithMethods(bean.getClass(), method -> {
            LocalVerypollPort port = AnnotatedElementUtils.findMergedAnnotation(method, LocalVerypollPort.class);
            if (port != null && method.getParameterCount() == 1) {
                ReflectionUtils.makeAccessible(method);
                ReflectionUtils.invokeMethod(method, bean,
                        convert(port(port.value(), beanName), method.getParameterTypes()[0], beanName));
            }
        });
        return values;
    }

    private int port(String name, String beanName) {
        String key = name.isEmpty() ? "local.verypoll.port" : "local.verypoll." + name + ".port";
        String value = environment.getProperty(key);
        if (value == null && !name.isEmpty()) {
            value = byRelaxedName(name);
        }
        if (value == null) {
            List<String> published = publishedNames();
            String why = name.isEmpty() && published.size() > 1
                    ? "there are " + published.size() + " servers; name one: @LocalVerypollPort(\"" + published.get(0) + "\")"
                    : "no server " + (name.isEmpty() ? "" : "named '" + name + "' ") + "has published a port (yet)";
            throw new BeanCreationException(beanName, "@LocalVerypollPort" + (name.isEmpty() ? "" : "(\"" + name + "\")")
                    + ": " + why + "; published: " + published);
        }
        return Integer.parseInt(value);
    }

    private String byRelaxedName(String name) {
        String wanted = ServerSettingsSource.canonicalName(name);
        for (String published : publishedNames()) {
            if (ServerSettingsSource.canonicalName(published).equals(wanted)) {
                return environment.getProperty("local.verypoll." + published + ".port");
            }
        }
        return null;
    }

    /** The server names with a published port, from the ports property source. */
    private List<String> publishedNames() {
        TreeSet<String> names = new TreeSet<>();
        if (environment instanceof ConfigurableEnvironment configurable) {
            PropertySource<?> ports = configurable.getPropertySources().get(VerypollServerPortInitializer.PROPERTY_SOURCE_NAME);
            if (ports instanceof EnumerablePropertySource<?> enumerable) {
                for (String property : enumerable.getPropertyNames()) {
                    if (property.startsWith("local.verypoll.") && property.endsWith(".port")
                            && !property.equals("local.verypoll.port")) {
                        names.add(property.substring("local.verypoll.".length(), property.length() - ".port".length()));
                    }
                }
            }
        }
        return new ArrayList<>(names);
    }

    private static Object convert(int port, Class<?> type, String beanName) {
        if (type == int.class || type == Integer.class) {
            return port;
        }
        if (type == long.class || type == Long.class) {
            return (long) port;
        }
        if (type == String.class) {
            return Integer.toString(port);
        }
        throw new BeanCreationException(beanName, "@LocalVerypollPort goes on an int, long or String, not " + type.getName());
    }
}
