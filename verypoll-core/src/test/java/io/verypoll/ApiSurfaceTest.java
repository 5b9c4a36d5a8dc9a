package io.verypoll;

import static org.assertj.core.api.Assertions.assertThat;

import io.verypoll.internal.ChannelState;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The module's API: what {@code module-info} exports, and that nothing reachable from an exported
 * package's public types names {@code io.verypoll.internal}. Reads the compiled {@code
 * module-info.class} and the classes next to it, so it checks the same on the module path and on
 * the class path.
 */
class ApiSurfaceTest {
    private static final String INTERNAL = "io.verypoll.internal";
    /** The backend seam: exported to the epoll module only, and no more API than the internals. */
    private static final String SPI = "io.verypoll.spi";

    @Test
    void moduleExportsTheApiPackagesOnlyAndRequiresOnlyJavaBase() throws Exception {
        ModuleDescriptor module = compiledDescriptor();

        assertThat(module.name()).isEqualTo("io.verypoll");
        assertThat(exportedPackages(module)).containsExactlyInAnyOrder("io.verypoll", "io.verypoll.net", "io.verypoll.pipe");
        // The epoll backend's seam, exported to its module only; never the internals.
        assertThat(module.exports()).filteredOn(ModuleDescriptor.Exports::isQualified).singleElement().satisfies(e -> {
            assertThat(e.source()).isEqualTo(SPI);
            assertThat(e.targets()).containsOnly("io.verypoll.epoll");
        });
        assertThat(module.uses()).containsExactly(SPI + ".Backend");
        assertThat(module.provides()).isEmpty();
        assertThat(module.requires()).extracting(ModuleDescriptor.Requires::name).containsExactly("java.base");
        assertThat(module.opens()).isEmpty();
        assertThat(module.isOpen()).isFalse();

        Module runtime = Poll.class.getModule();
        if (runtime.isNamed()) { // module path: the running module is the compiled one
            assertThat(runtime.getName()).isEqualTo(module.name());
            assertThat(runtime.getPackages()).contains(INTERNAL);
            assertThat(runtime.isExported(INTERNAL)).isFalse();
            assertThat(runtime.isExported(SPI)).isFalse();
            assertThat(runtime.isExported("io.verypoll.net")).isTrue();
        }
    }

    @Test
    void noPublicSignatureInAnExportedPackageNamesAnInternalType() throws Exception {
        List<Class<?>> api = publicTypesOf(exportedPackages(compiledDescriptor()));
        assertThat(api).as("public types found").contains(Poll.class, ChannelSource.class,
                io.verypoll.net.SocketListener.class, io.verypoll.net.TcpStream.class, io.verypoll.pipe.Receiver.class);

        List<String> leaks = new ArrayList<>();
        for (Class<?> type : api) {
            leaks.addAll(internalMentions(type));
        }
        assertThat(leaks).isEmpty();
    }

    /** The check is not vacuous: a type built on an internal one is reported. */
    @Test
    void theCheckSeesAnInternalType() throws Exception {
        assertThat(internalMentions(LeakyForTest.class)).hasSize(4);
    }

    @SuppressWarnings("unused")
    public static final class LeakyForTest {
        public ChannelState state;

        public List<? extends ChannelState> states() {
            return List.of();
        }

        protected void take(ChannelState[] states) {
        }

        public io.verypoll.spi.IoSource seam() {
            return null;
        }

        void packagePrivateIsFine(ChannelState state) {
        }
    }

    // ---- reflection ---------------------------------------------------------------------------

    /** Where {@code target/classes} (or the jar) is, found from a main class. */
    private static Path classesRoot() throws URISyntaxException {
        return Path.of(Poll.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static ModuleDescriptor compiledDescriptor() throws IOException, URISyntaxException {
        try (FileSystem jar = openIfJar(classesRoot())) {
            Path root = jar == null ? classesRoot() : jar.getPath("/");
            try (InputStream in = Files.newInputStream(root.resolve("module-info.class"))) {
                return ModuleDescriptor.read(in);
            }
        }
    }

    private static FileSystem openIfJar(Path location) throws IOException {
        return Files.isRegularFile(location) ? FileSystems.newFileSystem(location) : null;
    }

    /** The packages exported to everyone: the API. */
    private static Set<String> exportedPackages(ModuleDescriptor module) {
        return module.exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toSet());
    }

    private static List<Class<?>> publicTypesOf(Set<String> packages) throws Exception {
        Set<String> names = new TreeSet<>();
        try (FileSystem jar = openIfJar(classesRoot())) {
            Path root = jar == null ? classesRoot() : jar.getPath("/");
            for (String pkg : packages) {
                Path dir = root.resolve(pkg.replace('.', '/'));
                try (Stream<Path> files = Files.list(dir)) {
                    files.map(f -> f.getFileName().toString())
                            .filter(f -> f.endsWith(".class") && !f.equals("package-info.class"))
                            .forEach(f -> names.add(pkg + "." + f.substring(0, f.length() - ".class".length())));
                }
            }
        }
        List<Class<?>> types = new ArrayList<>();
        for (String name : names) {
            Class<?> type = Class.forName(name, false, ApiSurfaceTest.class.getClassLoader());
            if (isVisible(type)) {
                types.add(type);
            }
        }
        return types;
    }

    /** Public, and (if nested) inside public types all the way out. */
    private static boolean isVisible(Class<?> type) {
        for (Class<?> t = type; t != null; t = t.getDeclaringClass()) {
            if (!Modifier.isPublic(t.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    /** Every place the public view of {@code type} names an internal type. */
    private static List<String> internalMentions(Class<?> type) {
        List<String> found = new ArrayList<>();
        String where = type.getName();
        check(found, where + " type parameters", type.getTypeParameters());
        check(found, where + " superclass", type.getGenericSuperclass());
        check(found, where + " interfaces", type.getGenericInterfaces());
        Class<?>[] permitted = type.getPermittedSubclasses();
        if (permitted != null) {
            check(found, where + " permits", permitted);
        }
        for (Constructor<?> c : type.getDeclaredConstructors()) {
            if (isApi(c.getModifiers())) {
                checkExecutable(found, where + " constructor", c);
            }
        }
        // Inherited members are part of the view too, even from a package-private superclass.
        for (Class<?> t = type; t != null && t != Object.class; t = t.getSuperclass()) {
            for (Field f : t.getDeclaredFields()) {
                if (isApi(f.getModifiers())) {
                    check(found, where + " field " + f.getName(), f.getGenericType());
                }
            }
            for (Method m : t.getDeclaredMethods()) {
                if (isApi(m.getModifiers())) {
                    checkExecutable(found, where + " method " + m.getName(), m);
                    check(found, where + " method " + m.getName() + " return", m.getGenericReturnType());
                }
            }
        }
        return found;
    }

    private static boolean isApi(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static void checkExecutable(List<String> found, String where, Executable e) {
        check(found, where + " type parameters", e.getTypeParameters());
        check(found, where + " parameters", e.getGenericParameterTypes());
        check(found, where + " throws", e.getGenericExceptionTypes());
    }

    private static void check(List<String> found, String where, Type... types) {
        for (Type t : types) {
            Set<String> internal = new TreeSet<>();
            collectInternal(t, internal, new HashSet<>());
            if (!internal.isEmpty()) {
                found.add(where + ": " + internal);
            }
        }
    }

    private static void collectInternal(Type t, Set<String> internal, Set<Type> seen) {
        if (t == null || !seen.add(t)) {
            return; // seen: a recursive bound such as E extends Enum<E>
        }
        if (t instanceof Class<?> c) {
            while (c.isArray()) {
                c = c.getComponentType();
            }
            String pkg = c.getPackageName();
            if (pkg.equals(INTERNAL) || pkg.startsWith(INTERNAL + ".") || pkg.equals(SPI)) {
                internal.add(c.getName());
            }
        } else if (t instanceof ParameterizedType p) {
            collectInternal(p.getRawType(), internal, seen);
            collectInternal(p.getOwnerType(), internal, seen);
            for (Type arg : p.getActualTypeArguments()) {
                collectInternal(arg, internal, seen);
            }
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                collectInternal(b, internal, seen);
            }
            for (Type b : w.getLowerBounds()) {
                collectInternal(b, internal, seen);
            }
        } else if (t instanceof TypeVariable<?> v) {
            for (Type b : v.getBounds()) {
                collectInternal(b, internal, seen);
            }
        } else if (t instanceof GenericArrayType a) {
            collectInternal(a.getGenericComponentType(), internal, seen);
        }
    }
}
