package org.chis.mediator.smscodecard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.Saga;
import org.chis.common.saga.SagaOutcome;
import org.chis.common.store.Ledger;
import org.chis.common.store.Rows;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.NewEncounter;
import org.chis.common.systems.openmrs.NewObs;
import org.chis.common.systems.openmrs.NewPatient;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.OpenMrsDates;
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.mediator.smscodecard.card.CardField;
import org.chis.mediator.smscodecard.card.CodeOption;
import org.chis.mediator.smscodecard.card.DerivedField;
import org.chis.mediator.smscodecard.parse.Value;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a report to the configured upstream destinations as one saga: the OpenMRS encounter (with its obs, one
 * POST, a uuid derived from the message uuid) first because it can be undone (purged), then the OpenSRP event,
 * which cannot: if the event fails the encounter is purged. The caller's rows (warehouse, message log, ledger
 * success) are written in the commit that ends the saga: one commit for both, never one without the other.
 * <p>
 * When the event's answer is lost (sent, no answer) OpenSRP may have saved it, and a purge would leave that event
 * pointing at no encounter. So the event is looked up: found, the saga succeeds; not there, it is rolled back as
 * any failure; OpenSRP cannot say either, the encounter is kept ({@link EventOutcomeUnknown}) and the resend
 * adopts it (stable uuid) and sends the event again, which OpenSRP takes as an update.
 */
public final class Forwarding {
    private static final Logger log = LoggerFactory.getLogger(Forwarding.class);
    public static final String ENCOUNTER = "openmrs-encounter";
    public static final String PATIENT = "openmrs-patient";

    /** What was written upstream. */
    public record Forwarded(String encounterUuid, String eventId) {}

    /** The caller's rows for a forwarded report, written in the transaction that ends its saga COMPLETED. */
    @FunctionalInterface
    public interface AtEnd {
        void write(Connection c, Forwarded f) throws SQLException;
    }

    /** The saga failed; everything it created is undone when {@code rollbackComplete}. */
    public static final class ForwardingFailed extends RuntimeException {
        private final boolean rollbackComplete;

        ForwardingFailed(Throwable cause, boolean rollbackComplete) {
            super(cause.getMessage(), cause);
            this.rollbackComplete = rollbackComplete;
        }

        public boolean rollbackComplete() { return rollbackComplete; }

        /** The encounter was kept because the event may be saved: only a resend of this message completes it. */
        public boolean keptForResend() { return getCause() instanceof EventOutcomeUnknown; }
    }

    /**
     * The OpenSRP event may or may not be saved and OpenSRP could not be asked; the encounter was kept (not purged),
     * so the message must be resent, not given up: the resend completes it.
     */
    public static final class EventOutcomeUnknown extends RuntimeException {
        EventOutcomeUnknown(String encounterUuid, RuntimeException send, RuntimeException lookup) {
            super(send.getMessage() + "; looking the event up failed too (" + lookup.getMessage() + "); encounter "
                    + encounterUuid + " kept for the resend", send);
        }
    }

    private final Saga saga;
    private final OpenMrsClient openmrs;
    private final OpenSrpEvents opensrp;
    private final Set<String> destinations;
    private final String defaultLocation;
    private final String encounterRole;

    public Forwarding(StateStore store, OpenMrsClient openmrs, OpenSrpEvents opensrp, Set<String> destinations,
                      String defaultLocation, String encounterRole) {
        this.openmrs = openmrs;
        this.opensrp = opensrp;
        this.destinations = destinations;
        this.defaultLocation = defaultLocation;
        this.encounterRole = encounterRole;
        this.saga = new Saga(store, compensators(openmrs));
    }

    /** How to undo what forwarding creates; also used by start-up recovery. */
    public static Compensators compensators(OpenMrsClient openmrs) {
        return new Compensators().register(ENCOUNTER, (tx, ref) -> openmrs.purge(tx, "encounter", ref.id()))
                .register(PATIENT, (tx, ref) -> openmrs.purge(tx, "patient", ref.id()));
    }

    public boolean sendsTo(String destination) { return destinations.contains(destination); }

    /**
     * Find before create (REG): true when the identifier already belongs to a client other than the one this message
     * makes (an earlier attempt of the same message made the same uuid, and is adopted, not reported): a non-voided
     * OpenMRS patient holding it, or an OpenSRP client ({@code GET /rest/client/search?identifier=}).
     */
    public boolean registeredElsewhere(TransactionContext tx, Registrant who) {
        if (sendsTo("openmrs")) {
            for (JsonNode p : openmrs.patientsByIdentifier(tx, who.identifier())) {
                if (!p.path("voided").asBoolean(false) && !who.patientUuid().equals(OpenMrsClient.uuidOf(p))) return true;
            }
        }
        if (sendsTo("opensrp") && opensrp.configured()) {
            for (JsonNode c : opensrp.clientsWithIdentifier(tx, who.identifier())) {
                if (!who.patientUuid().equals(c.path("baseEntityId").asText(null))) return true;
            }
        }
        return false;
    }

    /**
     * Undoes what an earlier attempt of the claim's message left upstream when it died mid-saga (or rolled back only in
     * part); true when nothing is left. {@link #forward} does it too, this is for a rerun that may answer without it.
     */
    public boolean undoInterrupted(TransactionContext tx, Ledger.Claim claim) { return saga.undoInterrupted(tx, claim); }

    /**
     * @param retry true when an earlier attempt of this message may have written upstream (the encounter is then
     *              looked up first, so a crash between saga and warehouse never creates it twice)
     * @param claim the message's claim ({@code sms:<uuid>}), held by this run: the saga runs under it
     * @param atEnd the caller's rows, written in the commit that ends the saga (not when the event's fate is unknown:
     *              that run ends in {@link ForwardingFailed} and the message stays rerunnable)
     */
    public Forwarded forward(TransactionContext tx, Report r, boolean retry, Ledger.Claim claim, AtEnd atEnd) {
        String[] ids = new String[2];
        RuntimeException[] unknown = new RuntimeException[1];
        Rows end = c -> {
            if (unknown[0] == null) atEnd.write(c, new Forwarded(ids[0], ids[1]));
        };
        SagaOutcome outcome = saga.run(tx, claim, run -> {
            Registrant who = r.registrant();
            if (who != null && sendsTo("openmrs")) {
                // the patient first: it can be purged if OpenSRP then fails (OpenSRP cannot delete a client)
                boolean exists = retry && run.step("find earlier patient", () -> openmrs.patient(tx, who.patientUuid()).isPresent());
                if (!exists) {
                    run.create("create patient", PATIENT, who.patientUuid(), () -> openmrs.createReturningUuid(tx, patient(r, who)));
                }
            }
            if (who == null && sendsTo("openmrs") && r.patientUuid() != null && r.card().openmrsEncounterType() != null) {
                String uuid = StableUuid.of("sms", r.messageUuid(), "encounter");
                boolean exists = retry && run.step("find earlier encounter", () -> openmrs.encounter(tx, uuid).isPresent());
                if (!exists) {
                    run.create("create encounter", ENCOUNTER, uuid, () -> openmrs.createReturningUuid(tx, encounter(r, uuid)));
                }
                ids[0] = uuid;
            }
            if (sendsTo("opensrp") && opensrp.configured()) {
                // what the event (or, for REG, the new client) became in OpenMRS: kept when OpenSRP's answer is unsure
                String openmrsUuid = who != null ? (sendsTo("openmrs") ? who.patientUuid() : null) : ids[0];
                ids[1] = run.step(who != null ? "send OpenSRP client and registration event" : "send OpenSRP event",
                        () -> sendEvent(tx, r, openmrsUuid, unknown));
            }
        }, end);
        if (!outcome.succeeded()) throw new ForwardingFailed(outcome.failure(), outcome.rollbackComplete());
        // the saga ended COMPLETED on purpose: recovery must not purge the encounter the unsure event may point at
        if (unknown[0] != null) throw new ForwardingFailed(unknown[0], false);
        return new Forwarded(ids[0], ids[1]);
    }

    /**
     * Sends the event. When its answer was lost, asks OpenSRP whether it was saved: found = sent; not there =
     * failed (thrown, rolled back); OpenSRP cannot say = returns null with {@code unknown[0]} set (nothing thrown,
     * so nothing is undone).
     */
    private String sendEvent(TransactionContext tx, Report r, String encounterUuid, RuntimeException[] unknown) {
        try {
            return opensrp.send(tx, r, encounterUuid);
        } catch (UpstreamException sendFailed) {
            if (!OpenSrpEvents.mayHaveArrived(sendFailed)) throw sendFailed;
            String id = OpenSrpEvents.eventId(r.messageUuid());
            Optional<JsonNode> found;
            try {
                found = opensrp.find(tx, id);
            } catch (RuntimeException lookupFailed) {
                if (encounterUuid == null) throw sendFailed; // nothing of ours to keep or lose: a plain retry
                log.warn("message {}: OpenSRP event {} may or may not be saved: keeping encounter {}", r.messageUuid(), id, encounterUuid);
                unknown[0] = new EventOutcomeUnknown(encounterUuid, sendFailed, lookupFailed);
                return null;
            }
            if (found.isPresent() && r.messageUuid().equals(found.get().path("formSubmissionId").asText(null))) {
                tx.property("opensrp.event", "saved (answer lost, found by id)");
                return id;
            }
            throw sendFailed;
        }
    }

    /** Retracts a report upstream (UNDO): the encounter is voided, kept for audit. */
    public void retract(TransactionContext tx, String encounterUuid) {
        if (encounterUuid != null) openmrs.delete(tx, "encounter", encounterUuid, false);
    }

    NewPatient patient(Report r, Registrant who) {
        String location = r.sender() != null && r.sender().location() != null ? r.sender().location() : defaultLocation;
        List<NewPatient.Attribute> attributes = who.phone() != null && who.card().openmrsPhoneAttributeType() != null
                ? List.of(new NewPatient.Attribute(who.card().openmrsPhoneAttributeType(), who.phone())) : List.of();
        return new NewPatient(who.patientUuid(), new NewPatient.Name(who.given(), null, who.family()), who.gender(), who.birthdate(),
                who.birthdateEstimated(), List.of(new NewPatient.Identifier(who.identifier(), who.card().openmrsIdentifierType(), location)),
                attributes, null);
    }

    NewEncounter encounter(Report r, String uuid) {
        List<NewObs> obs = new ArrayList<>();
        var at = r.receivedAt().atOffset(ZoneOffset.UTC);
        for (CardField f : r.card().fields()) {
            Value v = r.parsed().value(f.name());
            if (v == null || f.target().openmrsConcept() == null) continue;
            JsonNode value = obsValue(f, v.value());
            if (value != null) obs.add(NewObs.of(StableUuid.of("sms", r.messageUuid(), "obs", f.name()), f.target().openmrsConcept(), value, at));
        }
        for (DerivedField d : r.card().derived()) {
            LocalDate date = r.derived().get(d.name());
            if (date != null && d.target().openmrsConcept() != null) {
                obs.add(NewObs.of(StableUuid.of("sms", r.messageUuid(), "obs", d.name()), d.target().openmrsConcept(), TextNode.valueOf(OpenMrsDates.format(date)), at));
            }
        }
        String location = r.sender() != null && r.sender().location() != null ? r.sender().location() : defaultLocation;
        List<NewEncounter.Provider> providers = r.sender() != null && r.sender().provider() != null
                ? List.of(new NewEncounter.Provider(r.sender().provider(), encounterRole)) : List.of();
        return new NewEncounter(uuid, r.patientUuid(), r.card().openmrsEncounterType(), at, null, location, r.card().openmrsForm(), providers, obs);
    }

    static JsonNode obsValue(CardField f, Object value) {
        if (value instanceof LocalDate d) return TextNode.valueOf(OpenMrsDates.format(d));
        if (value instanceof Integer n) return IntNode.valueOf(n);
        if (value instanceof Boolean yes) return TextNode.valueOf(yes ? f.openmrsYes() : f.openmrsNo());
        if (value instanceof CodeOption o) {
            if (o.openmrsAnswer() != null) return TextNode.valueOf(o.openmrsAnswer());
            if (o.openmrsValue() != null) return plainValue(o.openmrsValue());
            return TextNode.valueOf(o.code());
        }
        return TextNode.valueOf(String.valueOf(value));
    }

    /** A card's plain value (a number, mostly) as JSON: scalars directly, valueToTree (a serialisation) only for the rest. */
    private static JsonNode plainValue(Object v) {
        if (v instanceof Integer n) return IntNode.valueOf(n);
        if (v instanceof Long n) return LongNode.valueOf(n);
        if (v instanceof Double n) return DoubleNode.valueOf(n);
        if (v instanceof String t) return TextNode.valueOf(t);
        if (v instanceof Boolean b) return BooleanNode.valueOf(b);
        return Json.MAPPER.valueToTree(v);
    }
}
