package org.chis.common.systems.dhis2;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.BufferedSink;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.json.Json;

/**
 * A {@code dataValueSets} JSON body written straight to the socket with Jackson's generator: no JSON tree or
 * string of the whole set is ever built. Repeatable (the recording client reads it once more for the
 * orchestration record), so it keeps the chunk's values, never more than one chunk.
 */
public final class DataValueSetBody extends RequestBody {
    private final String dataSet;
    private final String period;
    private final String orgUnit;
    private final String attributeOptionCombo;
    private final String completeDate;
    private final List<DataValue> values;

    /** Top-level fields may be null; values then carry their own period/orgUnit/attributeOptionCombo. */
    public DataValueSetBody(String dataSet, String period, String orgUnit, String attributeOptionCombo, String completeDate,
                            List<DataValue> values) {
        this.dataSet = dataSet;
        this.period = period;
        this.orgUnit = orgUnit;
        this.attributeOptionCombo = attributeOptionCombo;
        this.completeDate = completeDate;
        this.values = List.copyOf(values);
    }

    public int size() { return values.size(); }

    public List<DataValue> values() { return values; }

    @Override
    public MediaType contentType() { return RecordingHttpClient.JSON; }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
        OutputStream out = sink.outputStream();
        try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.writeStartObject();
            field(g, "dataSet", dataSet);
            field(g, "period", period);
            field(g, "orgUnit", orgUnit);
            field(g, "attributeOptionCombo", attributeOptionCombo);
            field(g, "completeDate", completeDate);
            g.writeArrayFieldStart("dataValues");
            for (DataValue v : values) {
                g.writeStartObject();
                field(g, "dataElement", v.dataElement());
                field(g, "period", v.period());
                field(g, "orgUnit", v.orgUnit());
                field(g, "categoryOptionCombo", v.categoryOptionCombo());
                field(g, "attributeOptionCombo", v.attributeOptionCombo());
                field(g, "value", v.value());
                field(g, "comment", v.comment());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        out.flush();
    }

    private static void field(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) g.writeStringField(name, value);
    }
}
