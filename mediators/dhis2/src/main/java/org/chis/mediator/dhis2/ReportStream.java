package org.chis.mediator.dhis2;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;

/**
 * Reads a report one row at a time with Jackson's streaming parser, so a report of a million rows never sits in
 * memory. Shape: {@code {"report": "anc-monthly", "period": "202401" | "date": "2024-01-31", "rows": [{...}, ...]}}
 * (report/period/date before rows), or a bare array of rows with the report named by the caller. A row is an
 * object of scalars; numbers and booleans are read as their text.
 */
final class ReportStream {
    /**
     * The report-level fields, known when the rows begin. {@code fields}: every other top-level text, number or
     * boolean given before the rows ({@code received_on}, {@code visit_date} ...), for a map's reportDateFields.
     */
    record Header(String report, String period, String date, Map<String, String> fields) {
        Header(String report, String period, String date) { this(report, period, date, Map.of()); }
    }

    interface Listener {
        void start(Header header);

        void row(long number, Map<String, String> row);
    }

    private ReportStream() {}

    /** Reads the whole stream; returns the number of rows. Malformed JSON or shape -> {@link BadInputException}. */
    static long read(InputStream in, Header defaults, Listener listener) {
        try (JsonParser p = Json.MAPPER.getFactory().createParser(in)) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_ARRAY) {
                listener.start(defaults);
                return rows(p, listener);
            }
            if (t != JsonToken.START_OBJECT) throw new BadInputException("a report is a JSON object with 'rows' (or an array of rows)");
            String report = defaults.report(), period = defaults.period(), date = defaults.date();
            Map<String, String> fields = new LinkedHashMap<>(defaults.fields());
            long count = -1;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (name) {
                    case "report" -> report = scalar(p, v, name);
                    case "period" -> period = scalar(p, v, name);
                    case "date" -> date = scalar(p, v, name);
                    case "rows" -> {
                        if (v != JsonToken.START_ARRAY) throw new BadInputException("'rows' must be an array of row objects");
                        if (count >= 0) throw new BadInputException("'rows' given twice");
                        listener.start(new Header(report, period, date, Map.copyOf(fields)));
                        count = rows(p, listener);
                    }
                    default -> {
                        // other metadata (generatedAt, received_on ...): kept for a map's reportDateFields, not checked
                        if (v.isScalarValue() && v != JsonToken.VALUE_NULL) fields.put(name, p.getText());
                        else p.skipChildren();
                    }
                }
            }
            if (count < 0) throw new BadInputException("the report has no 'rows' array");
            return count;
        } catch (JsonParseException e) {
            throw new BadInputException("report is not valid JSON: " + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr());
        } catch (StreamConstraintsException e) {
            // Jackson's guards (nesting depth, number/string length) protect the heap: such a body is bad input
            throw new BadInputException("report exceeds a JSON limit: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("reading the report: " + e.getMessage(), e);
        }
    }

    private static long rows(JsonParser p, Listener listener) throws IOException {
        long n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            n++;
            if (t != JsonToken.START_OBJECT) throw new BadInputException("row " + n + " is not an object");
            Map<String, String> row = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (v == JsonToken.VALUE_NULL) continue;
                if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
                    throw new BadInputException("row " + n + ": '" + name + "' must be a number, text or boolean, not " + (v == JsonToken.START_ARRAY ? "a list" : "an object"));
                }
                row.put(name, p.getText());
            }
            listener.row(n, row);
        }
        return n;
    }

    private static String scalar(JsonParser p, JsonToken v, String name) throws IOException {
        if (v == JsonToken.VALUE_NULL) return null;
        if (!v.isScalarValue()) throw new BadInputException("'" + name + "' must be text");
        return p.getText();
    }
}
