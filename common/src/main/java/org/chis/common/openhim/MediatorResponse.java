package org.chis.common.openhim;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.chis.common.json.Json;
import org.chis.common.audit.Orchestration;
import org.chis.common.audit.TransactionContext;

/**
 * What a mediator answers: the client-facing response plus the OpenHIM status. Serialised as the
 * {@code application/json+openhim} envelope with the transaction's orchestrations and properties.
 * {@code retryable} failures carry an {@code error} object, which is what makes core's channel auto-retry
 * pick them up; rejected input does not (retrying the same bad body cannot help).
 */
public final class MediatorResponse {
    public static final String CONTENT_TYPE = "application/json+openhim";

    private final MediatorStatus status;
    private final int httpStatus;
    private final String body;
    private final String contentType;
    private final String errorMessage;
    private final Map<String, String> headers = new LinkedHashMap<>();

    private MediatorResponse(MediatorStatus status, int httpStatus, String body, String contentType, String errorMessage) {
        this.status = status;
        this.httpStatus = httpStatus;
        this.body = body;
        this.contentType = contentType;
        this.errorMessage = errorMessage;
    }

    public static MediatorResponse json(MediatorStatus status, int httpStatus, JsonNode body) {
        return new MediatorResponse(status, httpStatus, Json.write(body), "application/json", null);
    }

    public static MediatorResponse successful(JsonNode body) { return json(MediatorStatus.SUCCESSFUL, 200, body); }

    public static MediatorResponse completed(JsonNode body) { return json(MediatorStatus.COMPLETED, 200, body); }

    /** Bad input: 4xx, a message a person can act on, status Failed so it shows up for the operator, no auto-retry. */
    public static MediatorResponse rejected(int httpStatus, String message) {
        ObjectNode b = Json.object().put("error", message);
        return new MediatorResponse(MediatorStatus.FAILED, httpStatus, Json.write(b), "application/json", null);
    }

    /** A fault upstream or here: Failed, with an error object so a channel with auto-retry retries it. */
    public static MediatorResponse failed(int httpStatus, String message) {
        ObjectNode b = Json.object().put("error", message);
        return new MediatorResponse(MediatorStatus.FAILED, httpStatus, Json.write(b), "application/json", message);
    }

    /** As {@link #failed(int, String)} with a body of the caller's (it should carry {@code error: message} too). */
    public static MediatorResponse failed(int httpStatus, ObjectNode body, String message) {
        return new MediatorResponse(MediatorStatus.FAILED, httpStatus, Json.write(body), "application/json", message);
    }

    public static MediatorResponse of(MediatorStatus status, int httpStatus, String body, String contentType) {
        return new MediatorResponse(status, httpStatus, body, contentType, null);
    }

    public MediatorResponse header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public MediatorStatus status() { return status; }
    public int httpStatus() { return httpStatus; }
    public String body() { return body; }
    public String contentType() { return contentType; }
    public String errorMessage() { return errorMessage; }
    public Map<String, String> headers() { return headers; }

    /**
     * The envelope OpenHIM core stores, as UTF-8 JSON: response, status, orchestrations, properties, and error when
     * retryable. Written with one streaming generator: a tree of it (and of every orchestration's header maps) cost
     * more than the rest of the inbound side.
     */
    public byte[] envelope(String urn, TransactionContext tx) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("x-mediator-urn", urn);
            g.writeStringField("status", status.label());
            g.writeObjectFieldStart("response");
            g.writeNumberField("status", httpStatus);
            g.writeObjectFieldStart("headers");
            g.writeStringField("content-type", contentType + (contentType.contains("charset") ? "" : "; charset=utf-8"));
            for (Map.Entry<String, String> h : headers.entrySet()) g.writeStringField(h.getKey(), h.getValue());
            g.writeEndObject();
            g.writeStringField("body", body);
            g.writeStringField("timestamp", Orchestration.timestamp(Instant.now()));
            g.writeEndObject();
            g.writeArrayFieldStart("orchestrations");
            for (Orchestration o : tx.orchestrations()) o.write(g);
            g.writeEndArray();
            g.writeObjectFieldStart("properties");
            for (Map.Entry<String, String> p : tx.properties().entrySet()) g.writeStringField(p.getKey(), p.getValue());
            g.writeEndObject();
            if (errorMessage != null) {
                g.writeObjectFieldStart("error");
                g.writeStringField("message", errorMessage);
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the OpenHIM envelope", e); // a byte array does not fail
        }
        return out.toByteArray();
    }

    /** {@link #envelope} as a tree, for tests and tools that look into it. */
    public ObjectNode toEnvelope(String urn, TransactionContext tx) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(envelope(urn, tx));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
