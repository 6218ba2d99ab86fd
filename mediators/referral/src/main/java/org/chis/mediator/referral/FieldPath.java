package org.chis.mediator.referral;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import org.chis.common.config.ConfigException;

/**
 * Where a mapping file finds a value in a source document: JSON Pointer segments ({@code /form/meta/instanceID}),
 * plus a filter segment {@code [name=value]} that picks the first array element whose field matches, which is
 * how OpenSRP events keep their answers ({@code /events/0/obs/[formSubmissionField=reason]/values/0}).
 * A path starting with {@code =} is a constant.
 */
record FieldPath(String text, List<String> segments, String constant) {

    static FieldPath parse(String text) {
        if (text == null || text.isBlank()) throw new ConfigException("empty field path");
        if (text.startsWith("=")) return new FieldPath(text, List.of(), text.substring(1));
        if (!text.startsWith("/")) throw new ConfigException("field path '" + text + "' must start with '/' (JSON Pointer) or '=' (constant)");
        List<String> segs = new ArrayList<>();
        for (String s : text.substring(1).split("/", -1)) segs.add(s.replace("~1", "/").replace("~0", "~"));
        for (String s : segs) {
            if (s.startsWith("[") && (!s.endsWith("]") || !s.contains("="))) {
                throw new ConfigException("field path '" + text + "': filter segment '" + s + "' must look like [name=value]");
            }
        }
        return new FieldPath(text, List.copyOf(segs), null);
    }

    /** The node found, or a missing node. */
    JsonNode find(JsonNode doc) {
        if (constant != null) return TextNode.valueOf(constant);
        JsonNode n = doc;
        for (String s : segments) {
            if (n == null || n.isMissingNode() || n.isNull()) return MissingNode.getInstance();
            if (s.startsWith("[")) {
                String inner = s.substring(1, s.length() - 1);
                int eq = inner.indexOf('=');
                String name = inner.substring(0, eq);
                String value = inner.substring(eq + 1);
                JsonNode hit = MissingNode.getInstance();
                for (JsonNode e : n) {
                    if (value.equals(e.path(name).asText(null))) {
                        hit = e;
                        break;
                    }
                }
                n = hit;
            } else if (n.isArray()) {
                try {
                    n = n.path(Integer.parseInt(s));
                } catch (NumberFormatException e) {
                    return MissingNode.getInstance();
                }
            } else {
                n = n.path(s);
            }
        }
        return n == null ? MissingNode.getInstance() : n;
    }
}
