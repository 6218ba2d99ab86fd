package org.chis.common.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The one Jackson mapper of the suite (ISO dates, lenient on unknown fields). */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    // '{"a":1}}' is not JSON: without this, readTree stops after the first value and the rest is silently dropped
    private static final ObjectReader STRICT_TREE =
            MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {}

    public static ObjectNode object() { return MAPPER.createObjectNode(); }

    public static ArrayNode array() { return MAPPER.createArrayNode(); }

    /** Parses JSON text; a malformed body is the caller's bad input, reported with the parser's position. */
    public static JsonNode parse(String text) {
        try {
            return STRICT_TREE.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr() : ""), e);
        }
    }

    /**
     * The first top-level field {@code field} of a JSON object as text (null when absent or JSON null, "" for an object
     * or array), without building the tree and without reading past it: for an upstream answer of which only the
     * created object's uuid is used (OpenMRS puts it first in a representation of kilobytes). Text up to that field
     * is checked as {@link #parse} checks it (malformed: IllegalArgumentException); the rest is not read. Text that is
     * not an object has no fields (null).
     */
    public static String topLevelText(String text, String field) {
        try (JsonParser p = MAPPER.getFactory().createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) return null; // no content
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                if (p.nextToken() != null) throw trailing(p); // as parse, '[1]]' is not JSON
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                boolean wanted = field.equals(p.currentName());
                JsonToken v = p.nextToken();
                if (v.isStructStart()) {
                    if (wanted) return "";
                    p.skipChildren();
                } else if (wanted) {
                    return v == JsonToken.VALUE_NULL ? null : p.getText();
                }
            }
            if (p.nextToken() != null) throw trailing(p); // '{"a":1}}': as parse, the rest is not silently dropped
            return null;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr() : ""), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a String does not fail to read
        }
    }

    private static IllegalArgumentException trailing(JsonParser p) {
        return new IllegalArgumentException("malformed JSON: more than one value at line " + p.currentLocation().getLineNr()
                + " column " + p.currentLocation().getColumnNr());
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    public static <T> T convert(Object value, Class<T> type) { return MAPPER.convertValue(value, type); }
}
