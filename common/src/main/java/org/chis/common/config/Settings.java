package org.chis.common.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A mediator's settings: {@code mediator.properties}, every key overridable by an environment variable
 * ({@code openmrs.url} by {@code OPENMRS_URL}) or a system property, and at runtime by the config that
 * OpenHIM core pushes (console edits win, they are the operator's latest word).
 */
public final class Settings {
    private static final Pattern NOT_ENV = Pattern.compile("[^A-Z0-9]");
    private static final Map<String, String> ENV_NAMES = new ConcurrentHashMap<>();

    private final Properties file;
    private final Map<String, String> env;
    private final Path configDir;
    private final Map<String, String> pushed = new ConcurrentHashMap<>();
    private final Map<String, String> overrides = new ConcurrentHashMap<>();
    private final List<Consumer<Settings>> listeners = new CopyOnWriteArrayList<>();

    public Settings(Properties file, Map<String, String> env, Path configDir) {
        this.file = file;
        this.env = env;
        this.configDir = configDir;
    }

    /**
     * Loads settings for a mediator: {@code --conf FILE} if given, else
     * {@code $CHIS_CONFIG_DIR/<mediator>/mediator.properties}, else {@code mediator-configs/<mediator>/mediator.properties}
     * under the working directory, else the copy bundled on the classpath.
     */
    public static Settings load(String mediator, String[] args) {
        Path conf = null;
        for (int i = 0; args != null && i < args.length - 1; i++) {
            if (args[i].equals("--conf")) conf = Path.of(args[i + 1]);
        }
        if (conf == null) {
            String base = System.getenv().getOrDefault("CHIS_CONFIG_DIR", "mediator-configs");
            Path candidate = Path.of(base, mediator, "mediator.properties");
            if (Files.exists(candidate)) conf = candidate;
        }
        Properties props = new Properties();
        Path dir = null;
        if (conf != null) {
            try (Reader r = Files.newBufferedReader(conf, StandardCharsets.UTF_8)) {
                props.load(r);
            } catch (IOException e) {
                throw new ConfigException(conf + ": cannot read (" + e.getMessage() + ")", e);
            }
            dir = conf.toAbsolutePath().getParent();
        } else {
            try (InputStream in = Settings.class.getResourceAsStream("/mediator.properties")) {
                if (in == null) throw new ConfigException("no mediator.properties for " + mediator
                        + ": pass --conf FILE or set CHIS_CONFIG_DIR");
                props.load(new InputStreamReader(in, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new ConfigException("classpath mediator.properties: " + e.getMessage(), e);
            }
        }
        return new Settings(props, System.getenv(), dir);
    }

    /** For tests and embedding: plain key/values, no environment. */
    public static Settings of(Map<String, String> values) { return of(values, null); }

    /** For tests: plain key/values, mapping files and registration info read from {@code configDir}. */
    public static Settings of(Map<String, String> values, Path configDir) {
        Properties p = new Properties();
        p.putAll(values);
        return new Settings(p, Map.of(), configDir);
    }

    /** The environment variable that overrides a key: upper case, every non-alphanumeric character an underscore. */
    public static String envName(String key) {
        // looked up on every read of a setting (clients re-read theirs per request): compiled once, names kept
        return ENV_NAMES.computeIfAbsent(key, k -> NOT_ENV.matcher(k.toUpperCase(Locale.ROOT)).replaceAll("_"));
    }

    public Optional<String> find(String key) {
        String v = overrides.get(key);
        if (v == null) v = pushed.get(key);
        if (v == null) v = System.getProperty(key);
        if (v == null) v = env.get(envName(key));
        if (v == null) v = file.getProperty(key);
        if (v == null) return Optional.empty();
        v = v.trim();
        return v.isEmpty() ? Optional.empty() : Optional.of(v);
    }

    public String get(String key, String fallback) { return find(key).orElse(fallback); }

    public String require(String key) {
        return find(key).orElseThrow(() -> new ConfigException("missing setting '" + key
                + "' (mediator.properties key, or environment variable " + envName(key) + ")"));
    }

    public int getInt(String key, int fallback) {
        return find(key).map(v -> parse(key, v, Integer::parseInt)).orElse(fallback);
    }

    public long getLong(String key, long fallback) {
        return find(key).map(v -> parse(key, v, Long::parseLong)).orElse(fallback);
    }

    public boolean getBool(String key, boolean fallback) {
        return find(key).map(v -> v.equalsIgnoreCase("true") || v.equals("1") || v.equalsIgnoreCase("yes")).orElse(fallback);
    }

    public Duration getMillis(String key, long fallbackMillis) { return Duration.ofMillis(getLong(key, fallbackMillis)); }

    private static <T> T parse(String key, String v, Function<String, T> f) {
        try {
            return f.apply(v);
        } catch (NumberFormatException e) {
            throw new ConfigException("setting '" + key + "' must be a number, got '" + v + "'");
        }
    }

    /** The folder holding mediator.properties and the mapping files (null when bundled on the classpath). */
    public Path configDir() { return configDir; }

    /** Resolves a mapping file named by a setting, relative to the config folder. */
    public Path file(String key, String fallbackName) {
        Path p = Path.of(get(key, fallbackName));
        if (!p.isAbsolute() && configDir != null) p = configDir.resolve(p);
        return p;
    }

    /** Applies config pushed by OpenHIM core (already translated to property keys) and tells listeners. */
    public void applyPushed(Map<String, String> byKey) {
        Map<String, String> changed = new HashMap<>();
        byKey.forEach((k, v) -> {
            if (v != null && !v.equals(pushed.get(k))) changed.put(k, v);
        });
        if (changed.isEmpty()) return;
        pushed.putAll(changed);
        listeners.forEach(l -> l.accept(this));
    }

    public void onChange(Consumer<Settings> listener) { listeners.add(listener); }

    /**
     * A value derived from {@code keys} (which must name every setting {@code derive} reads) that is derived again
     * when one of them changes: how clients read connection settings so that console edits apply to the next call.
     */
    public <T> DerivedSetting<T> derived(Function<Settings, T> derive, String... keys) {
        return new DerivedSetting<>(this, derive, keys);
    }

    /** A fact the process learnt itself (the port actually bound); wins over every source. */
    public void override(String key, String value) { overrides.put(key, value); }
}
