package org.chis.common.config;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A value derived from a few settings (a parsed base URL, an Authorization header) that follows config pushed by
 * OpenHIM core: every {@link #get()} reads the current strings of its keys and derives the value again only when one
 * of them changed, so a console edit applies to the next request at the cost of a few map lookups.
 */
public final class DerivedSetting<T> implements Supplier<T> {
    private record Derived<T>(List<String> inputs, T value) {}

    private final Settings settings;
    private final String[] keys;
    private final Function<Settings, T> derive;
    private volatile Derived<T> last;

    DerivedSetting(Settings settings, Function<Settings, T> derive, String... keys) {
        this.settings = Objects.requireNonNull(settings);
        this.derive = Objects.requireNonNull(derive);
        this.keys = keys.clone();
    }

    @Override
    public T get() {
        String[] now = new String[keys.length];
        for (int i = 0; i < keys.length; i++) now[i] = settings.find(keys[i]).orElse(null);
        List<String> inputs = Arrays.asList(now);
        Derived<T> d = last;
        if (d == null || !d.inputs().equals(inputs)) {
            d = new Derived<>(inputs, derive.apply(settings)); // a bad edit throws here, on each call, until it is fixed
            last = d;
        }
        return d.value();
    }
}
