package org.chis.bench.faults;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * 100 request bodies no JSON endpoint may accept: broken syntax, the wrong top-level type, broken encodings, and
 * truncations of a plausible document at seeded random points (a JSON object cut before its last brace is never
 * valid). The same list for every endpoint, so failures are reproducible.
 */
final class MalformedBodies {
    record Body(String label, byte[] bytes, String contentType) {}

    private static final String SAMPLE = "{\"form\":{\"@xmlns\":\"http://openrosa.org/formdesigner/anc\",\"case\":{\"@case_id\":\"8f2b\","
            + "\"update\":{\"weight\":\"61.5\",\"visit_date\":\"2026-11-02\"}},\"meta\":{\"instanceID\":\"uuid:1f4e\",\"userID\":\"chw-7\"}},"
            + "\"dataSet\":\"BfMAe6Itzgt\",\"period\":\"202610\",\"orgUnit\":\"DiszpKrYNg8\",\"dataValues\":[{\"dataElement\":\"s46m5MS0hxu\","
            + "\"categoryOptionCombo\":\"Prlt0C1RF0s\",\"value\":\"12\"}],\"message\":\"ANC 3 61 162\",\"urn\":\"tel:+256700000001\"}";

    private MalformedBodies() {}

    static List<Body> all() {
        List<Body> out = new ArrayList<>();
        String[] texts = {
            "", " ", "\n\t", "null", "true", "false", "0", "-1.5e3", "\"just a string\"", "[]", "[1,2,3]", "[{}]",
            "{", "}", "{\"a\":", "{\"a\":1,}", "{'a':'single quotes'}", "{a:1}", "{\"a\":1}}", "{\"a\" 1}",
            "{\"a\":undefined}", "{\"a\":NaN}", "<form><weight>61</weight></form>", "a=1&b=2", "{\"a\":\"unterminated}",
            "{\"a\":[1,2}", "{\"a\":01}", "\u0000\u0000\u0000", "{\"a\":\"\\uZZZZ\"}", "//comment\n{}",
        };
        for (String t : texts) out.add(new Body("text " + quote(t), t.getBytes(StandardCharsets.UTF_8), "application/json"));
        out.add(new Body("invalid UTF-8 bytes", new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}, "application/json"));
        out.add(new Body("UTF-16 with BOM", "\uFEFF{\"a\":1}".getBytes(StandardCharsets.UTF_16), "application/json"));
        out.add(new Body("random bytes", randomBytes(new Random(7), 512), "application/octet-stream"));
        out.add(new Body("nesting 100000 deep", ("[".repeat(100_000) + "]".repeat(100_000)).getBytes(StandardCharsets.UTF_8), "application/json"));
        out.add(new Body("object nesting 5000 deep, unclosed", "{\"a\":".repeat(5000).getBytes(StandardCharsets.UTF_8), "application/json"));
        Random random = new Random(42);
        while (out.size() < 100) {
            int cut = 1 + random.nextInt(SAMPLE.length() - 2);
            out.add(new Body("sample cut at " + cut, SAMPLE.substring(0, cut).getBytes(StandardCharsets.UTF_8), "application/json"));
        }
        return out;
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        b[0] = (byte) 0xFF; // never a valid start of JSON text
        return b;
    }

    private static String quote(String t) {
        String s = t.length() > 24 ? t.substring(0, 24) + "..." : t;
        return "'" + s.replace("\n", "\\n").replace("\t", "\\t").replace("\u0000", "\\0") + "'";
    }
}
