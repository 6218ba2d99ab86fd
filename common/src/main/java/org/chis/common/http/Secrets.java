package org.chis.common.http;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks credentials before anything is logged or recorded as an orchestration: auth headers, password/token
 * fields in JSON or form bodies, and credential query parameters.
 */
public final class Secrets {
    public static final String MASK = "****";
    private static final Set<String> SECRET_HEADERS = Set.of("authorization", "proxy-authorization", "cookie",
            "set-cookie", "auth-token", "auth-salt", "x-api-key", "api-key", "x-auth-token", "x-rapidpro-token");
    private static final String SECRET_WORDS = "password|passwd|pwd|secret|token|api_?key|apikey|access_?token|client_?secret|authorization|auth-token";
    // "password": "x"  /  "token":"x"  (JSON) — value masked, key kept so the record stays readable
    private static final Pattern JSON_FIELD = Pattern.compile(
            "(\"(?i:[a-z_\\-]*(?:" + SECRET_WORDS + ")[a-z_\\-]*)\"\\s*:\\s*)\"(?:[^\"\\\\]|\\\\.)*\"");
    // password=x&...  (form bodies and query strings)
    private static final Pattern FORM_FIELD = Pattern.compile("((?:^|[&?;\\s])(?i:[a-z_\\-]*(?:" + SECRET_WORDS + ")[a-z_\\-]*)=)[^&\\s]*");
    // user:password@host in URLs
    private static final Pattern URL_USERINFO = Pattern.compile("(://[^/@:\\s]+:)[^/@\\s]+@");
    // every SECRET_WORDS alternative contains one of these: a text without any of them has nothing for the patterns
    private static final String[] SECRET_HINTS = {"pass", "pwd", "secret", "token", "key", "authorization"};

    private Secrets() {}

    public static boolean isSecretHeader(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return SECRET_HEADERS.contains(n) || n.contains("password") || n.contains("secret") || n.endsWith("token");
    }

    public static Map<String, String> maskHeaders(Map<String, String> headers) {
        Map<String, String> out = new LinkedHashMap<>();
        headers.forEach((k, v) -> out.put(k, isSecretHeader(k) ? MASK : v));
        return out;
    }

    public static String maskText(String text) {
        if (text == null || text.isEmpty()) return text;
        String s = text;
        // most upstream bodies carry no credential: a plain scan is far cheaper than the patterns (every body of
        // every orchestration passes here)
        if (hasSecretWord(s)) {
            s = JSON_FIELD.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + "\"" + MASK + "\""));
            s = FORM_FIELD.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        }
        if (s.indexOf('@') < 0 || !s.contains("://")) return s;
        return URL_USERINFO.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK + "@"));
    }

    private static boolean hasSecretWord(String text) {
        // one pass, no lower-case copy of the body: only where a hint's first letter stands is the hint compared
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c != 'p' && c != 'P' && c != 's' && c != 'S' && c != 't' && c != 'T' && c != 'k' && c != 'K' && c != 'a' && c != 'A') continue;
            for (String hint : SECRET_HINTS) if (text.regionMatches(true, i, hint, 0, hint.length())) return true;
        }
        return false;
    }
}
