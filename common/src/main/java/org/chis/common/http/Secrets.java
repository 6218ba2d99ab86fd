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
            // a form field is "name=value": a JSON body without '=' is not scanned for one
            if (s.indexOf('=') >= 0) s = FORM_FIELD.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        }
        if (s.indexOf('@') < 0 || !s.contains("://")) return s;
        return URL_USERINFO.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK + "@"));
    }

    /**
     * Whether the text holds one of the hints pass, pwd, secret, token, key, authorization: every SECRET_WORDS
     * alternative contains one, so a text without any has nothing for the patterns.
     */
    /** The first letters of the hints (a, k, p, s, t) as bits from 'a': most letters of a body are none of them. */
    private static final int HINT_STARTS = 1 << ('a' - 'a') | 1 << ('k' - 'a') | 1 << ('p' - 'a') | 1 << ('s' - 'a') | 1 << ('t' - 'a');

    private static boolean hasSecretWord(String text) {
        // one pass, no lower-case copy of the body: a hint is compared only where its first three letters stand. Two
        // letters were not enough: "pa" (patient), "se" (self), "to", "au" (auditInfo) start a word in every OpenMRS
        // answer, and the call comparing the rest was most of the scan's time
        for (int i = 0, n = text.length() - 2; i < n; i++) {
            int c = text.charAt(i) | 0x20; // ASCII lower case (the patterns only ignore ASCII case); other chars match no hint
            if (c < 'a' || c > 't' || (HINT_STARTS & (1 << (c - 'a'))) == 0) continue;
            int second = text.charAt(i + 1) | 0x20;
            int third = text.charAt(i + 2) | 0x20;
            String hint = switch (c) {
                case 'p' -> second == 'a' && third == 's' ? "pass" : second == 'w' && third == 'd' ? "pwd" : null;
                case 's' -> second == 'e' && third == 'c' ? "secret" : null;
                case 't' -> second == 'o' && third == 'k' ? "token" : null;
                case 'k' -> second == 'e' && third == 'y' ? "key" : null;
                case 'a' -> second == 'u' && third == 't' ? "authorization" : null;
                default -> null;
            };
            if (hint != null && (hint.length() == 3 || asciiRegionMatches(text, i + 3, hint))) return true;
        }
        return false;
    }

    /** Whether {@code text} holds the rest of {@code hint} (past its first three letters) at {@code at}, ignoring ASCII case. */
    private static boolean asciiRegionMatches(String text, int at, String hint) {
        int rest = hint.length() - 3;
        if (at + rest > text.length()) return false;
        for (int k = 0; k < rest; k++) {
            if ((text.charAt(at + k) | 0x20) != hint.charAt(3 + k)) return false;
        }
        return true;
    }
}
