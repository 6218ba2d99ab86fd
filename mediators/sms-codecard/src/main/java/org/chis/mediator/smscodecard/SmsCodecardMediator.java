package org.chis.mediator.smscodecard;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;
import org.chis.common.config.Settings;
import org.chis.common.openhim.Mediator;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorServer;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.rapidpro.RapidProClient;
import org.chis.common.work.Recovery;
import org.chis.mediator.smscodecard.card.CodeCard;
import org.chis.mediator.smscodecard.card.CodeCards;
import org.chis.mediator.smscodecard.parse.MessageParser;
import org.chis.mediator.smscodecard.reply.Replies;
import org.chis.mediator.smscodecard.reply.ReplyTexts;

/**
 * The sms-codecard mediator: loads and checks the code cards and the registered senders (a broken card stops
 * start-up with every problem listed), opens the state store, undoes what an interrupted run left upstream, then
 * answers {@code POST /sms/inbound}.
 */
public final class SmsCodecardMediator implements Mediator {
    public static final String NAME = "sms-codecard";

    @Override
    public String name() { return NAME; }

    @Override
    public void install(MediatorApp app) {
        Settings s = app.settings();
        CodeCards cards = CodeCards.load(s.file("sms.cardsDir", "cards"));
        Senders senders = Senders.load(s.file("sms.sendersFile", "senders.json"));
        StateStore store = app.closeWithApp(StateStore.open(s, NAME));
        OpenMrsClient openmrs = OpenMrsClient.fromSettings(app.http(), s);
        // undo what interrupted forwardings left upstream, then free their messages' claims (and the report claims
        // taken with them) so resends run at once
        Recovery recovery = Recovery.of(s, store);
        recovery.atStartUp(Forwarding.compensators(openmrs), Intake.LEASE, Intake.LEDGER_KIND);
        long retryAfterSeconds = s.getLong("sms.retryAfterSeconds", 30);
        Set<String> destinations = Arrays.stream(s.get("sms.destinations", "openmrs,opensrp,warehouse").split(","))
                .map(d -> d.trim().toLowerCase(Locale.ROOT)).filter(d -> !d.isEmpty()).collect(Collectors.toUnmodifiableSet());
        Forwarding forwarding = new Forwarding(store, openmrs, new OpenSrpEvents(app.http(), s), destinations,
                s.get("sms.openmrs.location", "8d6c993e-c2cc-11de-8d13-0010c6dffd0f"),
                s.get("sms.openmrs.encounterRole", "a0b03050-c99b-11e0-9572-0800200c9a66"));
        Warehouse warehouse = new Warehouse(store);
        String exampleCard = s.get("sms.exampleKeyword", cards.all().get(0).keyword());
        Clock clock = clock(s);
        ZoneId zone = ZoneId.of(s.get("sms.timezone", "UTC"));
        Replies replies = new Replies(ReplyTexts.load(s.file("sms.repliesDir", "replies")), s.get("sms.defaultLanguage", "eng"),
                cards.current(exampleCard, LocalDate.now(clock)))
                .withExamplesOf(cards.all().stream().sorted(Comparator.comparing(CodeCard::version).reversed()).toList());
        Intake intake = new Intake(new MessageParser(cards, replies.commandWords()), senders, openmrs, forwarding, warehouse, replies, clock, zone,
                s.getInt("sms.maxAttempts", 3),
                recovery.idempotent(Intake.LEDGER_KIND, Intake.LEASE).retryAfter(Duration.ofSeconds(retryAfterSeconds)));
        ExecutorService workers = Executors.newFixedThreadPool(s.getInt("sms.workers", 16), r -> daemon(r, "sms-worker"));
        ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "sms-retry"));
        app.closeWithApp(workers::shutdownNow);
        app.closeWithApp(retries::shutdownNow);
        WebhookEndpoint endpoint = new WebhookEndpoint(intake, warehouse, RapidProClient.fromSettings(app.http(), s), workers, retries,
                () -> s.get("sms.webhookToken", ""), s.getLong("sms.inlineReplyMs", 5000), retryAfterSeconds);
        // RapidPro's Call Webhook posts application/json (its editor's default header)
        app.route("POST", "/sms/inbound/?", MediatorServer.JSON, endpoint)
                .healthFact("codeCards", () -> cards.all().stream().map(c -> c.keyword() + " v" + c.version()).toList())
                .healthFact("senders", senders::size)
                .healthFact("store", store::healthy);
    }

    /** {@code sms.clock.fixed} (an instant) pins "today" for tests and demos; otherwise the system clock. */
    static Clock clock(Settings s) {
        String fixed = s.get("sms.clock.fixed", "");
        return fixed.isBlank() ? Clock.systemUTC() : Clock.fixed(Instant.parse(fixed), ZoneOffset.UTC);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
