package org.chis.mediator.smscodecard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.chis.common.json.Json;
import org.chis.common.openhim.TransactionContext;
import org.chis.common.saga.Compensators;
import org.chis.common.saga.Saga;
import org.chis.common.saga.SagaOutcome;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.NewEncounter;
import org.chis.common.systems.openmrs.NewObs;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.openmrs.OpenMrsDates;
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.mediator.smscodecard.card.CardField;
import org.chis.mediator.smscodecard.card.CodeOption;
import org.chis.mediator.smscodecard.card.DerivedField;
import org.chis.mediator.smscodecard.parse.Value;

/**
 * Sends a report to the configured upstream destinations as one saga: the OpenMRS encounter (with its obs, one
 * POST, a uuid derived from the message uuid) first because it can be undone (purged), then the OpenSRP event,
 * which cannot: if the event fails the encounter is purged. The warehouse row is written by the caller in the
 * same database transaction as the ledger's success, after this returns.
 */
public final class Forwarding {
    public static final String ENCOUNTER = "openmrs-encounter";

    /** What was written upstream. */
    public record Forwarded(String encounterUuid, String eventId) {}

    /** The saga failed; everything it created is undone when {@code rollbackComplete}. */
    public static final class ForwardingFailed extends RuntimeException {
        private final boolean rollbackComplete;

        ForwardingFailed(Throwable cause, boolean rollbackComplete) {
            super(cause.getMessage(), cause);
            this.rollbackComplete = rollbackComplete;
        }

        public boolean rollbackComplete() { return rollbackComplete; }
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
        return new Compensators().register(ENCOUNTER, (tx, ref) -> openmrs.purge(tx, "encounter", ref.id()));
    }

    public boolean sendsTo(String destination) { return destinations.contains(destination); }

    /**
     * @param retry true when an earlier attempt of this message may have written upstream (the encounter is then
     *              looked up first, so a crash between saga and warehouse never creates it twice)
     */
    public Forwarded forward(TransactionContext tx, Report r, boolean retry) {
        String[] ids = new String[2];
        SagaOutcome outcome = saga.run(tx, "sms:" + r.messageUuid(), run -> {
            if (sendsTo("openmrs") && r.patientUuid() != null && r.card().openmrsEncounterType() != null) {
                String uuid = StableUuid.of("sms", r.messageUuid(), "encounter");
                boolean exists = retry && run.step("find earlier encounter", () -> openmrs.encounter(tx, uuid).isPresent());
                if (!exists) {
                    run.create("create encounter", ENCOUNTER, uuid, () -> OpenMrsClient.uuidOf(openmrs.createEncounter(tx, encounter(r, uuid))));
                }
                ids[0] = uuid;
            }
            if (sendsTo("opensrp") && opensrp.configured()) {
                ids[1] = run.step("send OpenSRP event", () -> opensrp.send(tx, r));
            }
        });
        if (!outcome.succeeded()) throw new ForwardingFailed(outcome.failure(), outcome.rollbackComplete());
        return new Forwarded(ids[0], ids[1]);
    }

    /** Retracts a report upstream (UNDO): the encounter is voided, kept for audit. */
    public void retract(TransactionContext tx, String encounterUuid) {
        if (encounterUuid != null) openmrs.delete(tx, "encounter", encounterUuid, false);
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
            if (o.openmrsValue() != null) return Json.MAPPER.valueToTree(o.openmrsValue());
            return TextNode.valueOf(o.code());
        }
        return TextNode.valueOf(String.valueOf(value));
    }
}
