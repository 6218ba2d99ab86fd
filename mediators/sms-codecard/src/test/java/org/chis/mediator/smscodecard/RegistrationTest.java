package org.chis.mediator.smscodecard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.common.json.Json;
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.mediator.smscodecard.card.CheckDigit;
import org.chis.mediator.smscodecard.reply.Gsm7;
import org.chis.simulators.openmrs.OpenMrsSimulator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * REG (cards/reg-v1.json): a new client as an OpenMRS patient (person + patient with identifier) and an OpenSRP
 * client with its registration event ({@code POST /rest/event/add}), one of each per message however often it comes,
 * find-before-create on the identifier, the reply with the id in the sender's language, and the card's validation
 * replies with nothing created.
 */
class RegistrationTest {
    private SmsFixture f;

    @AfterEach
    void close() { if (f != null) f.close(); }

    private static String patientUuid(int message) { return StableUuid.of("sms", SmsFixture.uuid(message), "patient"); }

    private List<JsonNode> newPatients() {
        return f.openmrs.patients().stream().filter(p -> !f.patientUuids.containsValue(p.path("uuid").asText())).toList();
    }

    private int opensrpPosts() {
        return f.opensrp.findAll(WireMock.postRequestedFor(WireMock.urlPathEqualTo("/opensrp/rest/event/add"))).size();
    }

    @Test
    void aRegistrationWithAnAgeMakesOnePatientAndOneClientAndRepliesWithTheNewId() throws Exception {
        f = new SmsFixture(Map.of());
        SmsFixture.Reply r = f.sms(SmsFixture.uuid(1), SmsFixture.ASHA, "eng", "REG Mary Otieno F 35 +255712345678");
        SmsFixture.Reply again = f.sms(SmsFixture.uuid(1), SmsFixture.ASHA, "eng", "REG Mary Otieno F 35 +255712345678");

        assertThat(r.kind()).isEqualTo("registered");
        assertThat(r.status()).isEqualTo("Successful");
        String id = Registrant.derivedIdentifier(SmsFixture.uuid(1));
        assertThat(CheckDigit.LUHN_MOD30.valid(id)).isTrue();
        assertThat(r.text()).isEqualTo("OK REG: Mary Otieno registered with ID " + id + ". Write this ID on the client's card. Ref "
                + r.body().path("ref").asText());
        assertThat(r.orchestrations()).contains("OpenMRS: find patient by identifier", "OpenSRP: find client", "OpenMRS: create patient", "OpenSRP: add event");
        assertThat(again.body().path("duplicate").asBoolean()).isTrue();
        assertThat(again.text()).isEqualTo(r.text());

        List<JsonNode> patients = newPatients();
        assertThat(patients).hasSize(1);
        JsonNode p = patients.get(0);
        assertThat(p.path("uuid").asText()).isEqualTo(patientUuid(1));
        assertThat(p.path("person").path("gender").asText()).isEqualTo("F");
        assertThat(p.path("person").path("birthdate").asText()).startsWith("1991-06-15"); // today 2026-06-15 minus 35 years
        assertThat(p.path("person").path("birthdateEstimated").asBoolean()).isTrue();
        assertThat(p.path("identifiers").get(0).path("identifier").asText()).isEqualTo(id);

        assertThat(f.opensrpEvents.clients()).hasSize(1);
        JsonNode client = f.opensrpEvents.clients().get(0);
        assertThat(client.path("baseEntityId").asText()).isEqualTo(patientUuid(1));
        assertThat(client.path("firstName").asText()).isEqualTo("Mary");
        assertThat(client.path("lastName").asText()).isEqualTo("Otieno");
        assertThat(client.path("gender").asText()).isEqualTo("Female");
        assertThat(client.path("birthdateApprox").asBoolean()).isTrue();
        assertThat(client.path("identifiers").path("opensrp_id").asText()).isEqualTo(id);
        assertThat(client.path("identifiers").path("OPENMRS_UUID").asText()).isEqualTo(patientUuid(1));
        assertThat(client.path("attributes").path("phone_number").asText()).isEqualTo("+255712345678");
        assertThat(f.opensrpEvents.events()).hasSize(1);
        JsonNode event = f.opensrpEvents.events().get(0);
        assertThat(event.path("eventType").asText()).isEqualTo("Family Member Registration");
        assertThat(event.path("entityType").asText()).isEqualTo("ec_family_member");
        assertThat(event.path("baseEntityId").asText()).isEqualTo(patientUuid(1));
        assertThat(event.path("formSubmissionId").asText()).isEqualTo(SmsFixture.uuid(1));
        assertThat(opensrpPosts()).isEqualTo(1);

        Warehouse.Stored record = f.warehouse().records().get(0);
        assertThat(record.keyword()).isEqualTo("REG");
        assertThat(Json.parse(record.recordJson()).path("patientUuid").asText()).isEqualTo(patientUuid(1));
    }

    @Test
    void theWorkersIdAndBirthDateAreTakenAndTheReplyIsInTheSendersLanguage() throws Exception {
        f = new SmsFixture(Map.of());
        SmsFixture.Reply swa = f.sms(SmsFixture.uuid(2), SmsFixture.ASHA, null, "SAJILI Rehema Juma KE 12.05.1990 NAMBA 2001V");
        assertThat(swa.kind()).isEqualTo("registered");
        assertThat(swa.text()).startsWith("SAWA SAJILI: Rehema Juma amesajiliwa, namba 2001V.");
        SmsFixture.Reply fra = f.sms(SmsFixture.uuid(3), SmsFixture.MARIE, "fra", "INSCR Aline Kasongo F 03021992 ID 1004N");
        assertThat(fra.text()).startsWith("OK INSCR: Aline Kasongo enregistré avec l'ID 1004N.");
        for (SmsFixture.Reply r : List.of(swa, fra)) {
            assertThat(Gsm7.isGsm7(r.text())).isTrue();
            assertThat(Gsm7.septets(r.text())).isLessThanOrEqualTo(Gsm7.SINGLE_SMS);
        }
        JsonNode rehema = f.openmrs.patient(patientUuid(2)).orElseThrow();
        assertThat(rehema.path("person").path("birthdate").asText()).startsWith("1990-05-12");
        assertThat(rehema.path("person").path("birthdateEstimated").asBoolean()).isFalse();
        assertThat(rehema.path("identifiers").get(0).path("identifier").asText()).isEqualTo("2001V");
        assertThat(rehema.path("identifiers").get(0).path("identifierType").path("uuid").asText()).isEqualTo(OpenMrsSimulator.ID_TYPE_OPENMRS_ID);
        assertThat(f.opensrpEvents.clients()).extracting(c -> c.path("identifiers").path("opensrp_id").asText()).containsExactly("2001V", "1004N");
    }

    @Test
    void anIdentifierAClientAlreadyHasIsAnsweredAlreadyRegisteredAndNothingIsCreated() throws Exception {
        f = new SmsFixture(Map.of());
        // 1000Y is an OpenMRS patient of the fixture
        SmsFixture.Reply inOpenMrs = f.sms(SmsFixture.uuid(4), SmsFixture.ASHA, "eng", "REG Amina Juma F 04031998 ID 1000Y");
        assertThat(inOpenMrs.kind()).isEqualTo("already_registered");
        assertThat(inOpenMrs.status()).isEqualTo("Completed");
        assertThat(inOpenMrs.text()).startsWith("REG: ID 1000Y is already registered (Amina Juma). No need to register again.");
        // 1005L only OpenSRP knows (a client an OpenSRP app registered)
        ObjectNode app = Json.object().put("type", "Client").put("baseEntityId", "b3c1f7e6-0000-4000-8000-000000000001")
                .put("firstName", "Zawadi").put("lastName", "Ally").put("gender", "Female").put("birthdate", "2001-01-01T00:00:00.000Z");
        app.putObject("identifiers").put("opensrp_id", "1005L");
        f.opensrpEvents.addClient(app);
        SmsFixture.Reply inOpenSrp = f.sms(SmsFixture.uuid(5), SmsFixture.ASHA, "eng", "REG Zawadi Ally F 01012001 ID 1005L");
        assertThat(inOpenSrp.kind()).isEqualTo("already_registered");
        assertThat(newPatients()).isEmpty();
        assertThat(opensrpPosts()).isZero();
        assertThat(f.opensrpEvents.clients()).hasSize(1);
        assertThat(f.warehouse().records()).isEmpty();
    }

    @Test
    void badOrMissingFieldsGetTheCardsValidationReplyAndNothingIsCreated() throws Exception {
        f = new SmsFixture(Map.of());
        Map<String, String> replies = new LinkedHashMap<>();
        replies.put("REG Mary", "missing_field");
        replies.put("REG Mary 0tieno F 35", "bad_format");
        replies.put("REG Mary Otieno X 35", "bad_format");
        replies.put("REG Mary Otieno F 150", "out_of_range");
        replies.put("REG Mary Otieno F 12052027", "out_of_range");
        replies.put("REG Mary Otieno F 120590", "ambiguous_date");
        replies.put("REG Mary Otieno F 35 12345", "bad_format");
        replies.put("REG Mary Otieno F 35 ID 1000A", "bad_format");
        int n = 10;
        for (var e : replies.entrySet()) {
            SmsFixture.Reply r = f.sms(SmsFixture.uuid(n++), SmsFixture.ASHA, "eng", e.getKey());
            assertThat(r.kind()).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(r.status()).as(e.getKey()).isEqualTo("Completed");
        }
        assertThat(f.sms(SmsFixture.uuid(30), SmsFixture.ASHA, "eng", "REG Mary 0tieno F 35").text())
                .startsWith("REG: SURNAME 0tieno not valid, use letters only.");
        assertThat(f.sms(SmsFixture.uuid(31), SmsFixture.ASHA, "eng", "REG Mary Otieno F 35 12345").text())
                .startsWith("REG: TEL 12345 not valid, write the phone like +255712345678.");
        assertThat(newPatients()).isEmpty();
        assertThat(f.opensrp.getAllServeEvents()).isEmpty();
        assertThat(f.warehouse().records()).isEmpty();
    }

    @Test
    void openSrpFailingAfterThePatientPurgesItAndTheRetryCompletesWithOneOfEach() throws Exception {
        f = new SmsFixture(Map.of("sms.maxAttempts", "3"));
        var down = f.opensrp.stubFor(WireMock.post(WireMock.urlPathEqualTo("/opensrp/rest/event/add")).atPriority(1)
                .willReturn(WireMock.aResponse().withStatus(500)));
        SmsFixture.Reply r = f.sms(SmsFixture.uuid(40), SmsFixture.ASHA, "eng", "REG Mary Otieno F 35");
        assertThat(r.http()).isEqualTo(503);
        assertThat(r.orchestrations()).contains("OpenMRS: create patient", "OpenSRP: add event", "OpenMRS: purge patient");
        assertThat(f.openmrs.patient(patientUuid(40))).isEmpty();
        f.opensrp.removeStub(down);
        assertThat(f.sms(SmsFixture.uuid(40), SmsFixture.ASHA, "eng", "REG Mary Otieno F 35").kind()).isEqualTo("registered");
        assertThat(newPatients()).hasSize(1);
        assertThat(f.opensrpEvents.clients()).hasSize(1);
        assertThat(f.warehouse().records()).hasSize(1);
    }

    @Test
    void openMrsFailingIsRetriedAndTheRerunMakesOneOfEach() throws Exception {
        f = new SmsFixture(Map.of("sms.maxAttempts", "3"));
        f.openmrs.failNext("POST", "/openmrs/ws/rest/v1/patient", 500, "{\"error\":{\"message\":\"[Database down]\"}}");
        SmsFixture.Reply r = f.sms(SmsFixture.uuid(50), SmsFixture.ASHA, "eng", "REG Mary Otieno F 35");
        assertThat(r.http()).isEqualTo(503);
        assertThat(newPatients()).isEmpty();
        assertThat(opensrpPosts()).isZero();
        assertThat(f.sms(SmsFixture.uuid(50), SmsFixture.ASHA, "eng", "REG Mary Otieno F 35").kind()).isEqualTo("registered");
        assertThat(newPatients()).hasSize(1);
        assertThat(f.opensrpEvents.clients()).hasSize(1);
        // a second message for the same person is the duplicate the card defines (name, sex, birth date)
        assertThat(f.sms(SmsFixture.uuid(51), SmsFixture.ASHA, "eng", "REG Mary Otieno F 35").kind()).isEqualTo("already_received");
        assertThat(newPatients()).hasSize(1);
        assertThat(f.opensrpEvents.clients()).hasSize(1);
    }

    @Test
    void whenOpenSrpsAnswerIsLostAndItCannotBeAskedThePatientIsKeptAndTheResendCompletesWithOneOfEach() throws Exception {
        f = new SmsFixture(Map.of("http.readTimeoutMs", "1000", "sms.maxAttempts", "1"));
        String message = SmsFixture.uuid(60);
        // the client and event land at once, only the answer is held past the read timeout; the lookup fails too
        var lost = f.opensrp.stubFor(WireMock.post(WireMock.urlPathEqualTo("/opensrp/rest/event/add")).withHeader("X-Lost-Answer", WireMock.absent())
                .atPriority(1).willReturn(WireMock.aResponse().proxiedFrom("http://127.0.0.1:" + f.opensrp.port())
                        .withAdditionalRequestHeader("X-Lost-Answer", "served").withFixedDelay(2500)));
        var lookupDown = f.opensrp.stubFor(WireMock.get(WireMock.urlPathEqualTo("/opensrp/rest/event/findById")).atPriority(1)
                .willReturn(WireMock.aResponse().withStatus(503)));
        SmsFixture.Reply first = f.sms(message, SmsFixture.ASHA, "eng", "REG Mary Otieno F 35");
        f.opensrp.removeStub(lost);
        f.opensrp.removeStub(lookupDown);
        // even at the last attempt no fault reply: a new message would register the client a second time
        assertThat(first.http()).isEqualTo(503);
        assertThat(first.orchestrations()).doesNotContain("OpenMRS: purge patient");
        assertThat(f.openmrs.patient(patientUuid(60))).isPresent();

        SmsFixture.Reply resend = f.sms(message, SmsFixture.ASHA, "eng", "REG Mary Otieno F 35");
        assertThat(resend.kind()).isEqualTo("registered");
        assertThat(newPatients()).hasSize(1);
        assertThat(f.opensrpEvents.clients()).hasSize(1);
        assertThat(f.opensrpEvents.clients().get(0).path("identifiers").path("OPENMRS_UUID").asText()).isEqualTo(patientUuid(60));
        assertThat(f.opensrpEvents.eventsWithFormSubmissionId(message)).hasSize(1);
        assertThat(f.warehouse().records()).hasSize(1);
    }
}
