package org.chis.mediator.smscodecard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import okhttp3.Request;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.mediator.smscodecard.card.CardField;
import org.chis.mediator.smscodecard.card.CodeOption;
import org.chis.mediator.smscodecard.card.DerivedField;
import org.chis.mediator.smscodecard.card.FieldType;
import org.chis.mediator.smscodecard.parse.Value;

/**
 * Posts a report as an OpenSRP event ({@code POST <opensrp.url>/rest/event/add} with {@code {"events":[...]}},
 * HTTP Basic). The event's {@code id} (derived) and {@code formSubmissionId} (the message uuid) are stable, and
 * OpenSRP updates rather than duplicates an event sent again with either; obs carry OpenMRS concepts as
 * {@code fieldCode} like OpenSRP clients do, and identifier {@code OPENMRS_UUID} names the encounter, as OpenSRP's
 * own OpenMRS connector marks an event it has pushed (so the connector does not push it a second time).
 * {@link #find} reads it back ({@code GET /rest/event/findById?id=}): OpenSRP's REST API has no search by
 * formSubmissionId, but the id we assign is just as stable.
 */
public final class OpenSrpEvents {
    /** OpenSRP's identifier type for the OpenMRS uuid of what an event became there. */
    public static final String OPENMRS_UUID = "OPENMRS_UUID";
    private static final DateTimeFormatter OPENSRP_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");

    private final RecordingHttpClient http;
    private final Settings settings;
    private final Supplier<Endpoint> endpoint;

    public OpenSrpEvents(RecordingHttpClient http, Settings settings) {
        this.http = http;
        this.settings = settings;
        this.endpoint = Endpoint.basicIfUser(settings, "opensrp");
    }

    public boolean configured() { return !settings.get("opensrp.url", "").isBlank(); }

    /** The event id of a message's report: the same on every attempt, so a resend replaces rather than adds. */
    public static String eventId(String messageUuid) { return StableUuid.of("sms", messageUuid, "opensrp-event"); }

    /**
     * Sends the event; returns its id.
     *
     * @param encounterUuid the OpenMRS encounter the report became, or null when it was not sent to OpenMRS
     */
    public String send(TransactionContext tx, Report r, String encounterUuid) {
        String id = eventId(r.messageUuid());
        ObjectNode body = Json.object();
        ArrayNode clients = body.putArray("clients");
        // a registration sends the client with its event, as an OpenSRP app's sync does; the patient's uuid is both the
        // client's baseEntityId and its OPENMRS_UUID (so OpenSRP's own OpenMRS connector does not create it again)
        if (r.registrant() != null) clients.add(client(r, encounterUuid));
        body.putArray("events").add(event(r, id, r.registrant() != null ? null : encounterUuid));
        Request req = request("rest/event/add").header("Accept", "application/json")
                .post(RecordingHttpClient.jsonBody(Json.write(body))).build();
        UpstreamResponse resp = http.send(tx, "OpenSRP: add event", req);
        if (!resp.ok()) throw answered("OpenSRP: add event", resp);
        return id;
    }

    /**
     * The stored event with this id, if OpenSRP has one (it answers an empty 200 when not). Throws
     * {@link UpstreamException} when OpenSRP cannot say.
     */
    public Optional<JsonNode> find(TransactionContext tx, String eventId) {
        Request req = request("rest/event/findById?id=" + eventId).header("Accept", "application/json").get().build();
        UpstreamResponse resp = http.send(tx, "OpenSRP: find event", req);
        if (!resp.ok()) throw answered("OpenSRP: find event", resp);
        if (resp.body() == null || resp.body().isBlank()) return Optional.empty();
        JsonNode event = Json.parse(resp.body());
        return event.isObject() && eventId.equals(event.path("id").asText(null)) ? Optional.of(event) : Optional.empty();
    }

    /**
     * The clients holding this identifier: {@code GET /rest/client/search?identifier=} (ClientResource: the client whose
     * baseEntityId or any identifier it is, as a one-element list; {@code [null]} when there is none).
     */
    public List<JsonNode> clientsWithIdentifier(TransactionContext tx, String identifier) {
        Request req = request("rest/client/search?identifier=" + identifier).header("Accept", "application/json").get().build();
        UpstreamResponse resp = http.send(tx, "OpenSRP: find client", req);
        if (!resp.ok()) throw answered("OpenSRP: find client", resp);
        List<JsonNode> out = new ArrayList<>();
        if (resp.body() == null || resp.body().isBlank()) return out;
        for (JsonNode c : Json.parse(resp.body())) if (c.isObject()) out.add(c);
        return out;
    }

    /**
     * True when a failed send may still have been saved: the request went out and no answer came back (read
     * timeout, connection reset). False when OpenSRP answered, or the connection was never made.
     */
    public static boolean mayHaveArrived(UpstreamException e) {
        return e.status() == 0 && !(e.getCause() instanceof ConnectException) && !(e.getCause() instanceof UnknownHostException);
    }

    private Request.Builder request(String path) {
        Endpoint e = endpoint.get();
        Request.Builder b = new Request.Builder().url(e.base().resolve(path));
        return e.authorization() == null ? b : b.header("Authorization", e.authorization());
    }

    private static UpstreamException answered(String name, UpstreamResponse resp) {
        String text = resp.body() == null ? "" : resp.body();
        return new UpstreamException(name + ": answered " + resp.status() + " " + (text.length() > 200 ? text.substring(0, 200) : text), resp.status());
    }

    /**
     * The new client as OpenSRP's {@code org.smartregister.domain.Client} serialises it: names, gender (Female/Male),
     * birthdate with {@code birthdateApprox} when only an age was sent, identifiers (the worker's or derived id under
     * the card's identifier type, OPENMRS_UUID) and the phone as an attribute.
     */
    static ObjectNode client(Report r, String patientUuid) {
        Registrant who = r.registrant();
        String at = OPENSRP_TIME.format(r.receivedAt().atOffset(ZoneOffset.UTC));
        ObjectNode c = Json.object();
        c.put("type", "Client").put("baseEntityId", who.patientUuid()).put("firstName", who.given()).put("lastName", who.family())
                .put("gender", who.gender().equals("F") ? "Female" : who.gender().equals("M") ? "Male" : who.gender())
                .put("birthdate", who.birthdate() + "T00:00:00.000Z").put("birthdateApprox", who.birthdateEstimated())
                .put("deathdateApprox", false).put("dateCreated", at).put("clientType", r.card().opensrpEntityType());
        ObjectNode ids = c.putObject("identifiers").put(who.card().opensrpIdentifierType(), who.identifier());
        if (patientUuid != null) ids.put(OPENMRS_UUID, patientUuid);
        ObjectNode attributes = c.putObject("attributes");
        if (who.phone() != null) attributes.put(who.card().phoneAttribute(), who.phone());
        c.putArray("addresses");
        c.putObject("relationships");
        return c;
    }

    static ObjectNode event(Report r, String id, String encounterUuid) {
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
        ObjectNode identifiers = e.putObject("identifiers").put("sms_patient_id", r.patientId());
        if (encounterUuid != null) identifiers.put(OPENMRS_UUID, encounterUuid);
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
