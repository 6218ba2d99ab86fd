package org.chis.common.http;

import java.util.function.Supplier;
import okhttp3.HttpUrl;
import org.chis.common.config.ConfigException;

/**
 * Where and as whom a typed client calls an upstream: the parsed base URL and the Authorization header value (null
 * for an open server). Clients hold a {@code Supplier<Endpoint>}, a {@link org.chis.common.config.DerivedSetting}
 * in the mediators, so a URL or credential edited in the OpenHIM console applies to the next request.
 */
public record Endpoint(HttpUrl base, String authorization) {
    /** A fixed endpoint (tests, tools): never changes. */
    public static Supplier<Endpoint> fixed(Endpoint e) { return () -> e; }

    /** Parses a base URL so that relative paths resolve under it (a trailing '/' is added); {@code key} names the setting in the error. */
    public static HttpUrl directory(String key, String url) {
        HttpUrl parsed = url == null ? null : HttpUrl.parse(url.endsWith("/") ? url : url + "/");
        if (parsed == null) throw new ConfigException(key + " '" + url + "' is not an http(s) URL");
        return parsed;
    }
}
