package org.chis.common.systems.dhis2;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import okhttp3.MediaType;
import okhttp3.RequestBody;
import okio.BufferedSink;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.json.Json;

/**
 * A {@code dataValueSets} JSON body written with Jackson's generator: no JSON tree or string of the whole set is
 * ever built. It is one chunk of a report, so its bytes are produced once and kept (a few hundred KB): that gives
 * the request a Content-Length (a chunked upload of a few hundred KB stalled on delayed ACKs, about 0.2 s per
 * request) and lets the recording client read it again for the orchestration record without re-serialising.
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

    private byte[] bytes;

    @Override
    public long contentLength() throws IOException { return bytes().length; }

    @Override
    public void writeTo(BufferedSink sink) throws IOException { sink.write(bytes()); }

    private synchronized byte[] bytes() throws IOException {
        if (bytes == null) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(64 + values.size() * 96);
            write(out);
            bytes = out.toByteArray();
        }
        return bytes;
    }

    private void write(OutputStream out) throws IOException {
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
