package org.chis.mediator.smscodecard;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import okhttp3.Credentials;
import okhttp3.HttpUrl;
import okhttp3.Request;
import org.chis.common.config.ConfigException;
import org.chis.common.config.Settings;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.chis.common.openhim.TransactionContext;
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.mediator.smscodecard.card.CardField;
import org.chis.mediator.smscodecard.card.CodeOption;
import org.chis.mediator.smscodecard.card.DerivedField;
import org.chis.mediator.smscodecard.card.FieldType;
import org.chis.mediator.smscodecard.parse.Value;

/**
 * Posts a report as an OpenSRP event ({@code POST <opensrp.url>/rest/event/add} with {@code {"events":[...]}},
 * HTTP Basic). The event's {@code formSubmissionId} is the message uuid, which OpenSRP uses to update rather
 * than duplicate an event sent twice; obs carry OpenMRS concepts as {@code fieldCode} like OpenSRP clients do.
 */
public final class OpenSrpEvents {
    private static final DateTimeFormatter OPENSRP_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");

    private final RecordingHttpClient http;
    private final Settings settings;

    public OpenSrpEvents(RecordingHttpClient http, Settings settings) {
        this.http = http;
        this.settings = settings;
    }

    public boolean configured() { return !settings.get("opensrp.url", "").isBlank(); }

    /** Sends the event; returns its id (deterministic from the message uuid). */
    public String send(TransactionContext tx, Report r) {
        String id = StableUuid.of("sms", r.messageUuid(), "opensrp-event");
        ObjectNode body = Json.object();
        body.putArray("clients");
        body.putArray("events").add(event(r, id));
        String base = settings.require("opensrp.url");
        HttpUrl url = HttpUrl.parse(base.endsWith("/") ? base : base + "/");
        if (url == null) throw new ConfigException("opensrp.url '" + base + "' is not an http(s) URL");
        Request req = new Request.Builder().url(url.resolve("rest/event/add"))
                .header("Authorization", Credentials.basic(settings.get("opensrp.user", ""), settings.get("opensrp.password", "")))
                .header("Accept", "application/json")
                .post(RecordingHttpClient.jsonBody(Json.write(body))).build();
        UpstreamResponse resp = http.send(tx, "OpenSRP add event", req);
        if (!resp.ok()) {
            String text = resp.body() == null ? "" : resp.body();
            throw new UpstreamException("OpenSRP add event: answered " + resp.status() + " " + (text.length() > 200 ? text.substring(0, 200) : text), resp.status());
        }
        return id;
    }

    static ObjectNode event(Report r, String id) {
        ObjectNode e = Json.object();
        String at = OPENSRP_TIME.format(r.receivedAt().atOffset(ZoneOffset.UTC));
        e.put("type", "Event").put("id", id).put("formSubmissionId", r.messageUuid())
                .put("eventType", r.card().opensrpEventType() == null ? r.card().title() : r.card().opensrpEventType())
                .put("entityType", r.card().opensrpEntityType() == null ? "ec_client" : r.card().opensrpEntityType())
                .put("baseEntityId", r.patientUuid() == null ? r.patientId() : r.patientUuid())
                .put("providerId", r.sender() == null ? r.phone() : r.sender().name())
                .put("locationId", r.sender() == null ? null : r.sender().location())
                .put("eventDate", at).put("dateCreated", at).put("version", r.receivedAt().toEpochMilli())
                .put("duration", 0);
        ArrayNode obs = e.putArray("obs");
        for (CardField f : r.card().fields()) {
            Value v = r.parsed().value(f.name());
            if (v != null) obs.add(obs(f.name(), f.target().openmrsConcept(), type(f.type()), v.value()));
        }
        for (DerivedField d : r.card().derived()) {
            LocalDate date = r.derived().get(d.name());
            if (date != null) obs.add(obs(d.name(), d.target().openmrsConcept(), "date", date));
        }
        ObjectNode details = e.putObject("details");
        details.put("sms_ref", r.ref()).put("sms_keyword", r.card().keyword()).put("code_card_version", String.valueOf(r.card().version()))
                .put("sender_phone", r.phone());
        e.putObject("identifiers").put("sms_patient_id", r.patientId());
        return e;
    }

    private static ObjectNode obs(String name, String concept, String dataType, Object value) {
        ObjectNode o = Json.object();
        o.put("fieldType", concept == null ? "formsubmissionField" : "concept").put("fieldDataType", dataType)
                .put("fieldCode", concept == null ? name : concept).put("formSubmissionField", name).put("parentCode", "");
        String plain = value instanceof CodeOption c ? c.code() : String.valueOf(value);
        o.putArray("values").add(value instanceof CodeOption c && c.openmrsAnswer() != null ? c.openmrsAnswer() : plain);
        o.putArray("humanReadableValues").add(plain);
        return o;
    }

    private static String type(FieldType t) {
        return switch (t) {
            case DATE -> "date";
            case INTEGER -> "integer";
            case CODE -> "select one";
            case YESNO -> "select one";
            default -> "text";
        };
    }
}
