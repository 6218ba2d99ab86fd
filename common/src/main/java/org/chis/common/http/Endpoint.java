package org.chis.common.http;

import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import org.chis.common.config.ConfigException;
import org.chis.common.config.DerivedSetting;
import org.chis.common.config.Settings;

/**
 * Where and as whom a typed client calls an upstream: the parsed base URL and the Authorization header value (null
 * for an open server). Clients hold a {@code Supplier<Endpoint>}, a {@link DerivedSetting} in the mediators, so a
 * URL or credential edited in the OpenHIM console applies to the next request.
 */
public record Endpoint(HttpUrl base, String authorization) {
    /** A fixed endpoint (tests, tools): never changes. */
    public static Supplier<Endpoint> fixed(Endpoint e) { return () -> e; }

    /**
     * {@code <system>.url} as a directory, HTTP Basic {@code <system>.user} (required) / {@code <system>.password},
     * derived again when one of the three changes: OpenMRS, CHT, OpenSRP.
     */
    public static DerivedSetting<Endpoint> basic(Settings s, String system) {
        return s.derived(c -> new Endpoint(directory(system + ".url", c.require(system + ".url")),
                Credentials.basic(c.require(system + ".user"), c.get(system + ".password", ""), StandardCharsets.UTF_8)),
                system + ".url", system + ".user", system + ".password");
    }

    /** As {@link #basic}, but without {@code <system>.user} no Authorization is sent (a server open to us). */
    public static DerivedSetting<Endpoint> basicIfUser(Settings s, String system) {
        return s.derived(c -> new Endpoint(directory(system + ".url", c.require(system + ".url")),
                c.find(system + ".user").map(u -> Credentials.basic(u, c.get(system + ".password", ""), StandardCharsets.UTF_8)).orElse(null)),
                system + ".url", system + ".user", system + ".password");
    }

    /** Parses a base URL so that relative paths resolve under it (a trailing '/' is added); {@code key} names the setting in the error. */
    public static HttpUrl directory(String key, String url) {
        HttpUrl parsed = url == null ? null : HttpUrl.parse(url.endsWith("/") ? url : url + "/");
        if (parsed == null) throw new ConfigException(key + " '" + url + "' is not an http(s) URL");
        return parsed;
    }
}
