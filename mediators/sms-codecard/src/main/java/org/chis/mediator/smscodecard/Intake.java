package org.chis.mediator.smscodecard;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.KeyLocks;
import org.chis.common.store.StoreException;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.rapidpro.FlowWebhook;
import org.chis.common.work.Idempotent;
import org.chis.mediator.smscodecard.card.CodeCard;
import org.chis.mediator.smscodecard.card.DerivedField;
import org.chis.mediator.smscodecard.parse.MessageParser;
import org.chis.mediator.smscodecard.parse.Parsed;
import org.chis.mediator.smscodecard.parse.Problem;
import org.chis.mediator.smscodecard.parse.Ranges;
import org.chis.mediator.smscodecard.parse.ReplyKind;
import org.chis.mediator.smscodecard.parse.Value;
import org.chis.mediator.smscodecard.reply.Reference;
import org.chis.mediator.smscodecard.reply.Replies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One message from arrival to outcome, in the order the replies promise: syntax, sender registered and allowed,
 * patient exists, ranges, duplicate; then forwarding and the warehouse. Idempotent by message uuid (ledger):
 * a message seen before gets its recorded outcome, never a second record. Temporary faults are retried (503)
 * up to {@code maxAttempts}; the last one answers the system-fault reply, once.
 */
public final class Intake {
    private static final Logger log = LoggerFactory.getLogger(Intake.class);
    static final String LEDGER_KIND = "sms-message";
    /** Lease of a message's claim. */
    static final Duration LEASE = Duration.ofMinutes(2);
    /** Field of a failed claim's outcome: the system-fault reply went out, so a later run answers silently. */
    private static final String FAULT_REPLIED = "faultReplied";

    private final MessageParser parser;
    private final Senders senders;
    private final OpenMrsClient openmrs;
    private final Forwarding forwarding;
    private final Warehouse warehouse;
    private final KeyLocks locks;
    private final Idempotent room;
    private final Replies replies;
    private final Clock clock;
    private final ZoneId zone;
    private final int maxAttempts;

    public Intake(MessageParser parser, Senders senders, OpenMrsClient openmrs, Forwarding forwarding, Warehouse warehouse,
                  Replies replies, Clock clock, ZoneId zone, int maxAttempts, Idempotent room) {
        this.parser = parser;
        this.senders = senders;
        this.openmrs = openmrs;
        this.forwarding = forwarding;
        this.warehouse = warehouse;
        this.locks = warehouse.store().keyLocks();
        this.room = room;
        this.replies = replies;
        this.clock = clock;
        this.zone = zone;
        this.maxAttempts = Math.max(1, maxAttempts);
    }

    /**
     * Asked once, just before an outcome whose reply goes to the worker is committed: true when the webhook's answer
     * will carry it. The inline route is then recorded in that same commit (one commit less per message than
     * recording it after), still before the answer is written.
     */
    @FunctionalInterface
    public interface Route {
        boolean inline();
    }

    /** The reply goes by broadcast (or not at all): nothing to record with the outcome. */
    public static final Route NOT_INLINE = () -> false;

    public Outcome process(TransactionContext tx, FlowWebhook m) { return process(tx, m, NOT_INLINE); }

    public Outcome process(TransactionContext tx, FlowWebhook m, Route route) {
        String ref = Reference.of(m.messageUuid());
        tx.property("sms.ref", ref);
        String key = "sms:" + m.messageUuid();
        Idempotent.Taken taken;
        try {
            taken = room.take(key);
        } catch (StoreException e) {
            return Outcome.temporary(ref, "state store: " + e.getMessage());
        }
        if (taken instanceof Idempotent.Done done) return Outcome.fromJson(Json.parse(done.outcome()), true);
        if (taken instanceof Idempotent.Busy) {
            return Outcome.temporary(ref, "message " + m.messageUuid() + " is being processed by an earlier delivery");
        }
        Idempotent.Held held = (Idempotent.Held) taken;
        JsonNode earlier = held.earlier();
        boolean faultReplied = earlier != null && earlier.path(FAULT_REPLIED).asBoolean(false);
        // the room keeps it on the claim's note: a rerun after a crash must not send the fault reply a second time
        Instant now = clock.instant();
        Sender sender = senders.find(phone(m)).filter(Sender::active).orElse(null);
        String lang = replies.language(m.language(), sender == null ? null : sender.language());
        try {
            // after a fault reply nothing more goes to the worker (the outcome is made silent below)
            Outcome o = decide(tx, m, ref, held, sender, lang, now, faultReplied ? NOT_INLINE : route);
            if (faultReplied) o = o.silent();
            tx.property("sms.outcome", o.kind().jsonName());
            return o;
        } catch (RuntimeException e) {
            // upstream, store or saga faults, and bugs alike: fail the claims so a retry or rerun can run it again
            log.warn("message {} ({}): attempt {} failed: {}", m.messageUuid(), ref, held.attempts(), e.toString());
            tx.property("sms.outcome", "fault, attempt " + held.attempts());
            // an encounter kept for the resend is the report, saved: the fault reply would have the worker send it
            // again as a new message (a second encounter), so keep the message rerunnable instead
            boolean keptForResend = e instanceof Forwarding.ForwardingFailed f && f.keptForResend();
            if (faultReplied || held.attempts() < maxAttempts || keptForResend) {
                held.fail(Json.object().put("temporary", true).put(FAULT_REPLIED, faultReplied));
                return Outcome.temporary(ref, e.getMessage());
            }
            CodeCard card = cardOf(m.text());
            String text = replies.simple(lang, ReplyKind.SYSTEM_FAULT, card, null, null, ref);
            Outcome o = new Outcome(ReplyKind.SYSTEM_FAULT, text, ref, lang, true, null, e.getMessage(), false);
            String via = via(route);
            try {
                warehouse.logMessage(m.messageUuid(), ref, phone(m), m.text(), o.kind().jsonName(), text, lang, via);
            } catch (StoreException ignored) {
                // the store may be what failed; the reply still goes
            }
            held.fail(Json.object().put(FAULT_REPLIED, true));
            return o;
        }
    }

    private Outcome decide(TransactionContext tx, FlowWebhook m, String ref, Idempotent.Held held, Sender sender, String lang, Instant now,
                           Route route) {
        boolean retry = held.attempts() > 1;
        LocalDate today = LocalDate.ofInstant(now, zone);
        Parsed parsed = parser.parse(m.text(), today);
        if (parsed.problem() != null) return answer(m, held, route, ref, lang, parsed.problem().kind(), replies.problem(lang, parsed.problem(), ref), null);
        if (sender == null) return answer(m, held, route, ref, lang, ReplyKind.NOT_REGISTERED, replies.simple(lang, ReplyKind.NOT_REGISTERED, null, null, null, ref), null);
        if (parsed.isUndo()) return undo(tx, m, held, route, ref, lang, parsed.undoRef(), now);
        CodeCard card = parsed.card();
        if (!sender.allowed(card.keyword())) return answer(m, held, route, ref, lang, ReplyKind.NOT_ALLOWED, replies.simple(lang, ReplyKind.NOT_ALLOWED, card, null, null, ref), null);
        String patientId = null;
        String patientUuid = null;
        if (card.patientField() != null) {
            Value id = parsed.value(card.patientField());
            if (id != null) {
                patientId = (String) id.value();
                patientUuid = patientUuid(tx, patientId).orElse(null);
                if (patientUuid == null) {
                    return answer(m, held, route, ref, lang, ReplyKind.PATIENT_NOT_FOUND, replies.simple(lang, ReplyKind.PATIENT_NOT_FOUND, card, patientId, null, ref), null);
                }
            }
        }
        Problem range = Ranges.check(parsed, today);
        if (range != null) return answer(m, held, route, ref, lang, range.kind(), replies.problem(lang, range, ref), null);
        Registrant registrant = card.registers() ? Registrant.of(parsed, m.messageUuid(), today) : null;
        if (registrant != null) {
            // find before create: an identifier some other client holds is answered, nothing is created
            if (forwarding.registeredElsewhere(tx, registrant)) {
                return answer(m, held, route, ref, lang, ReplyKind.ALREADY_REGISTERED, replies.registration(lang, ReplyKind.ALREADY_REGISTERED, parsed,
                        registrant.name(), registrant.identifier(), Map.of(), ref), null);
            }
            patientId = registrant.identifier();
            patientUuid = registrant.patientUuid();
        }
        // a rerun of a message whose earlier run died mid-saga: undo what it left before the duplicate check, which may
        // answer without running the saga (another message saved the report meanwhile)
        if (retry && !forwarding.undoInterrupted(tx, held.claim())) {
            throw new UpstreamException("what an earlier attempt of this message wrote could not all be undone yet; try again", 503);
        }
        String duplicateKey = Report.duplicateKey(parsed);
        // one message per report at a time (in every replica on PostgreSQL), from the duplicate check to the warehouse
        // row: two messages carrying the same report at the same moment never both save it. A lock, not a ledger claim:
        // a process that dies drops its locks, and the warehouse row is what says the report is in (an UNDO retracts
        // it, so the report may come again)
        try (KeyLocks.Held lock = reportLock(duplicateKey)) {
            if (lock == null) throw new UpstreamException("the same report is being saved from another message; try again", 503);
            Optional<Warehouse.Stored> dup = warehouse.activeDuplicate(duplicateKey);
            if (dup.isPresent()) return alreadyReceived(m, held, route, ref, lang, parsed, dup.get().ref());
            return save(tx, m, held, route, ref, lang, parsed, sender, patientId, patientUuid, registrant, now, retry);
        }
    }

    private KeyLocks.Held reportLock(String duplicateKey) {
        try {
            return locks.tryLock("sms-report", List.of(duplicateKey));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException("interrupted waiting for the same report's other message", 503);
        }
    }

    private Outcome alreadyReceived(FlowWebhook m, Idempotent.Held held, Route route, String ref, String lang, Parsed parsed, String earlierRef) {
        return answer(m, held, route, ref, lang, ReplyKind.ALREADY_RECEIVED,
                replies.simple(lang, ReplyKind.ALREADY_RECEIVED, parsed.card(), Report.duplicateText(parsed), earlierRef, ref), null);
    }

    private Outcome save(TransactionContext tx, FlowWebhook m, Idempotent.Held held, Route route, String ref, String lang, Parsed parsed, Sender sender,
                         String patientId, String patientUuid, Registrant registrant, Instant now, boolean retry) {
        CodeCard card = parsed.card();
        Map<String, LocalDate> derived = new LinkedHashMap<>();
        for (DerivedField d : card.derived()) {
            Value from = parsed.value(d.from());
            if (from != null && from.value() instanceof LocalDate date) derived.put(d.name(), date.plusDays(d.addDays()));
        }
        Report report = new Report(m.messageUuid(), ref, parsed, Map.copyOf(derived), sender, phone(m), patientId, patientUuid, now, registrant);
        ReplyKind kind = registrant == null ? ReplyKind.OK : ReplyKind.REGISTERED;
        String text = registrant == null ? replies.ok(lang, parsed, derived, ref)
                : replies.registration(lang, kind, parsed, registrant.name(), registrant.identifier(), derived, ref);
        Outcome o = new Outcome(kind, text, ref, lang, true, ref, null, false);
        // the warehouse rows, the message log and the ledger's success go in the commit that ends the saga: a saga
        // never ends COMPLETED without them (that commit failing rolls the saga back), and one commit less per report
        Forwarding.Forwarded f = forwarding.forward(tx, report, retry, held.claim(), (c, done) -> {
            String via = via(route);
            warehouse.insert(c, report, done.encounterUuid(), done.eventId());
            warehouse.logMessage(c, m.messageUuid(), ref, phone(m), m.text(), o.kind().jsonName(), text, lang, via, now);
            held.succeed(c, o.toJson(), null);
        });
        tx.property("sms.record", ref);
        if (registrant != null) tx.property("openmrs.patient", registrant.patientUuid());
        if (f.encounterUuid() != null) tx.property("openmrs.encounter", f.encounterUuid());
        return o;
    }

    private Outcome undo(TransactionContext tx, FlowWebhook m, Idempotent.Held held, Route route, String ref, String lang, String undoRef, Instant now) {
        Optional<Warehouse.Stored> found = warehouse.byRef(undoRef);
        String phone = phone(m);
        if (found.isEmpty() || !found.get().phone().equals(phone)) {
            return answer(m, held, route, ref, lang, ReplyKind.UNDO_NOT_FOUND, replies.simple(lang, ReplyKind.UNDO_NOT_FOUND, null, undoRef, null, ref), null);
        }
        Warehouse.Stored s = found.get();
        if (!s.status().equals("ACTIVE")) {
            return answer(m, held, route, ref, lang, ReplyKind.ALREADY_UNDONE, replies.simple(lang, ReplyKind.ALREADY_UNDONE, null, undoRef, null, ref), null);
        }
        if (forwarding.sendsTo("openmrs")) forwarding.retract(tx, s.encounterUuid());
        String text = replies.simple(lang, ReplyKind.UNDONE, null, undoRef, null, ref);
        Outcome o = new Outcome(ReplyKind.UNDONE, text, ref, lang, true, undoRef, null, false);
        String via = via(route);
        held.succeed(o.toJson(), c -> {
            warehouse.retract(c, undoRef, now);
            warehouse.logMessage(c, m.messageUuid(), ref, phone, m.text(), o.kind().jsonName(), text, lang, via, now);
        });
        tx.property("sms.retracted", undoRef);
        return o;
    }

    /** A user-fixable answer: logged with the ledger's success, so a repeat gets the same reply and nothing is written. */
    private Outcome answer(FlowWebhook m, Idempotent.Held held, Route route, String ref, String lang, ReplyKind kind, String text, String recordRef) {
        Outcome o = new Outcome(kind, text, ref, lang, true, recordRef, null, false);
        String via = via(route);
        held.succeed(o.toJson(), c -> warehouse.logMessage(c, m.messageUuid(), ref, phone(m), m.text(), kind.jsonName(), text, lang, via,
                clock.instant()));
        return o;
    }

    /** The reply route recorded with an outcome whose reply goes to the worker: "inline" when the answer carries it, else none yet. */
    private static String via(Route route) { return route.inline() ? Warehouse.INLINE : null; }

    private Optional<String> patientUuid(TransactionContext tx, String identifier) {
        List<JsonNode> found = openmrs.patientsByIdentifier(tx, identifier);
        for (JsonNode p : found) {
            if (!p.path("voided").asBoolean(false)) return Optional.ofNullable(OpenMrsClient.uuidOf(p));
        }
        return Optional.empty();
    }

    private CodeCard cardOf(String text) {
        Parsed p = parser.parse(text, LocalDate.ofInstant(clock.instant(), zone));
        return p.card();
    }

    private static String phone(FlowWebhook m) {
        String phone = m.phone();
        return phone != null ? phone : m.urn();
    }
}
