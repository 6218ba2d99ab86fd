package org.chis.mediator.smscodecard;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.openhim.RequestHandler;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.rapidpro.FlowWebhook;
import org.chis.common.systems.rapidpro.NewBroadcast;
import org.chis.common.systems.rapidpro.RapidProClient;
import org.chis.common.systems.rapidpro.RapidProException;
import org.chis.common.work.Idempotent;
import org.chis.mediator.smscodecard.parse.ReplyKind;
import org.chis.mediator.smscodecard.reply.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /sms/inbound}: the RapidPro flow's Call Webhook. The reply travels in the answer when the message
 * is done within {@code sms.inlineReplyMs}; otherwise the answer is 202 and the reply goes out later through
 * RapidPro's broadcasts API. Exactly one of the two carries it (a compare-and-set decides), and a repeat of a
 * message whose reply was not answered inline (broadcast, being broadcast, or not yet routed), or an OpenHIM
 * rerun, never makes the flow send a second one.
 */
public final class WebhookEndpoint implements RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(WebhookEndpoint.class);
    private static final int WAITING = 0;
    private static final int INLINE = 1;
    private static final int HANDED_OFF = 2;
    private static final int FINISHED = 3;

    private final Intake intake;
    private final Warehouse warehouse;
    private final RapidProClient rapidpro;
    private final ExecutorService workers;
    private final ScheduledExecutorService retries;
    /** sms.webhookToken, read per message so a console edit applies to the next one; blank = no check */
    private final Supplier<String> token;
    private final long inlineMillis;
    private final long retryAfterSeconds;
    private final int broadcastAttempts;
    private final Duration unroutedAfter;

    public WebhookEndpoint(Intake intake, Warehouse warehouse, RapidProClient rapidpro, ExecutorService workers,
                           ScheduledExecutorService retries, Supplier<String> token, long inlineMillis, long retryAfterSeconds) {
        this.intake = intake;
        this.warehouse = warehouse;
        this.rapidpro = rapidpro;
        this.workers = workers;
        this.retries = retries;
        this.token = token;
        this.inlineMillis = inlineMillis;
        this.retryAfterSeconds = retryAfterSeconds;
        this.broadcastAttempts = 3;
        // a live delivery chooses its route within inlineMillis of finishing; far longer means it died choosing
        this.unroutedAfter = Duration.ofMillis(Math.max(60_000, 10 * inlineMillis));
    }

    @Override
    public MediatorResponse handle(MediatorRequest req, TransactionContext tx) throws Exception {
        checkToken(req);
        FlowWebhook m = FlowWebhook.parse(req.json(), idempotencyKey(req));
        tx.property("sms.message", m.messageUuid());
        boolean rerun = req.parentTransactionId() != null;
        AtomicInteger state = new AtomicInteger(WAITING);
        AtomicBoolean routedInline = new AtomicBoolean();
        // the route is chosen just before the outcome's commit, which records it: finished in time = inline
        Intake.Route inline = () -> {
            boolean won = state.compareAndSet(WAITING, FINISHED) || state.get() == FINISHED;
            routedInline.set(won);
            return won;
        };
        Future<Outcome> work = workers.submit(() -> {
            Outcome o = intake.process(tx, m, rerun ? Intake.NOT_INLINE : inline);
            if (!state.compareAndSet(WAITING, FINISHED) && state.get() == HANDED_OFF) afterHandOff(m, o, 1);
            return o;
        });
        Outcome o;
        try {
            o = work.get(inlineMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException slow) {
            if (state.compareAndSet(WAITING, HANDED_OFF)) {
                tx.property("sms.reply", "by broadcast (took longer than " + inlineMillis + " ms)");
                var body = Json.object().putNull("ok").put("kind", "accepted")
                        .put("ref", Reference.of(m.messageUuid())).put("send", false);
                return MediatorResponse.json(MediatorStatus.COMPLETED, 202, body);
            }
            o = work.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
        state.set(INLINE);
        return respond(tx, m, o, rerun, routedInline.get());
    }

    /** @param recordedInline the inline route was recorded with the outcome (nothing more to write) */
    private MediatorResponse respond(TransactionContext tx, FlowWebhook m, Outcome o, boolean rerun, boolean recordedInline) {
        if (o.temporary()) {
            // the room's busy answer (503 + error + Retry-After), for a fault and for a delivery still being processed
            return Idempotent.busy("temporary fault, nothing was kept; retry after " + retryAfterSeconds + " s: " + o.error(),
                    Duration.ofSeconds(retryAfterSeconds));
        }
        Outcome shown = o;
        if (o.repeat() && o.sendReply()) {
            // a repeat: RapidPro only retries when it did not get our answer, so a reply that went inline is still
            // unsent. A broadcast route on record means the reply is ours to deliver (sent, or still sending:
            // RapidPro may already hold it). No route yet: the first delivery is still choosing inline or broadcast
            // and will send it, unless it died doing so (then nothing chose for longer than any delivery takes, and
            // this repeat takes the reply, once, by compare-and-set). The inline route is recorded before that
            // answer is written.
            var logged = warehouse.message(m.messageUuid());
            boolean inline = logged.map(l -> "inline".equals(l.replyVia())).orElse(false);
            boolean unrouted = !rerun && !inline && logged.map(l -> l.replyVia() == null).orElse(false)
                    && warehouse.takeUnroutedReply(m.messageUuid(), Instant.now().minus(unroutedAfter));
            if (rerun || !(inline || unrouted)) shown = o.silent();
        } else if (rerun && o.sendReply()) {
            // nobody reads a rerun's answer: the worker gets the reply by SMS
            broadcast(tx, m, o);
            shown = o.silent();
        }
        if (!o.repeat() && shown.sendReply() && !recordedInline) markQuietly(m, Warehouse.INLINE, "SENT");
        tx.property("sms.reply", shown.sendReply() ? "in the webhook answer" : o.repeat() ? "none (repeat)" : "by broadcast / none");
        // a repeat: the room's duplicate answer, the recorded outcome with duplicate: true, Completed
        if (o.repeat()) return MediatorResponse.completed(Idempotent.markDuplicate(tx, shown.toJson(), null));
        MediatorStatus status = o.kind() == ReplyKind.SYSTEM_FAULT ? MediatorStatus.FAILED
                : o.kind().ok() ? MediatorStatus.SUCCESSFUL : MediatorStatus.COMPLETED;
        return MediatorResponse.json(status, 200, shown.toJson());
    }

    /** The webhook was answered 202: the reply goes by broadcast, and a temporary fault is retried here. */
    private void afterHandOff(FlowWebhook m, Outcome o, int round) {
        if (o.temporary()) {
            retries.schedule(() -> {
                TransactionContext tx = TransactionContext.detached("sms-retry");
                try {
                    afterHandOff(m, intake.process(tx, m), round + 1);
                } catch (RuntimeException e) {
                    log.error("message {}: background retry failed", m.messageUuid(), e);
                }
            }, retryAfterSeconds, TimeUnit.SECONDS);
            return;
        }
        if (o.sendReply() && !o.repeat()) broadcast(TransactionContext.detached("sms-reply"), m, o);
    }

    private void broadcast(TransactionContext tx, FlowWebhook m, Outcome o) {
        sendBroadcast(tx, m, o, 1);
    }

    private void sendBroadcast(TransactionContext tx, FlowWebhook m, Outcome o, int attempt) {
        // recorded before the call: RapidPro keeps the broadcast before it answers, and a repeat arriving in between
        // must see the reply as going out (answered send:false), not as one the flow should send
        markQuietly(m, "broadcast", "SENDING");
        try {
            rapidpro.sendBroadcast(tx, NewBroadcast.toUrn(m.urn(), o.language(), o.reply()));
            markQuietly(m, "broadcast", "SENT");
        } catch (RapidProException e) {
            if (e.temporary() && attempt < broadcastAttempts) {
                long delay = e.retryAfterSeconds() > 0 ? e.retryAfterSeconds() : 5L * attempt;
                retries.schedule(() -> sendBroadcast(TransactionContext.detached("sms-reply"), m, o, attempt + 1), delay, TimeUnit.SECONDS);
                return;
            }
            log.error("message {}: RapidPro refused the reply broadcast: {}", m.messageUuid(), e.getMessage());
            markQuietly(m, "broadcast", "FAILED");
        } catch (RuntimeException e) {
            // no answer: the broadcast may exist; sending again could reach the worker twice, so stop here
            log.error("message {}: reply broadcast had no answer: {}", m.messageUuid(), e.getMessage());
            markQuietly(m, "broadcast", "UNKNOWN");
        }
    }

    private void markQuietly(FlowWebhook m, String via, String status) {
        try {
            warehouse.replyStatus(m.messageUuid(), via, status);
        } catch (RuntimeException e) {
            log.warn("message {}: could not log the reply status: {}", m.messageUuid(), e.getMessage());
        }
    }

    /** With {@code sms.webhookToken} set, the flow must send it (header X-Webhook-Token or ?token=). */
    private void checkToken(MediatorRequest req) {
        String token = this.token.get();
        if (token == null || token.isBlank()) return;
        String given = req.header("x-webhook-token");
        if (given == null) given = req.query().get("token");
        if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            throw new BadInputException(401, "webhook token missing or wrong: the flow must send the header X-Webhook-Token");
        }
    }

    private static String idempotencyKey(MediatorRequest req) {
        String k = req.header("x-idempotency-key");
        return k != null ? k : req.header("idempotency-key");
    }

    static Duration duration(long ms) { return Duration.ofMillis(ms); }
}
