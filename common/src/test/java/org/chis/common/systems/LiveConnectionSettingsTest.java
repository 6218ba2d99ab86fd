package org.chis.common.systems;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.chis.common.config.DerivedSetting;
import org.chis.common.config.Settings;
import org.chis.common.http.Endpoint;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.chis.common.audit.TransactionContext;
import org.chis.common.systems.commcare.CommCareClient;
import org.chis.common.systems.dhis2.Dhis2Client;
import org.chis.common.systems.fhir.FhirClient;
import org.chis.common.systems.openmrs.AtomFeedReader;
import org.chis.common.systems.openmrs.OpenMrsClient;
import org.chis.common.systems.rapidpro.RapidProClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Config pushed by OpenHIM core (a console edit of a URL or a credential) applies to each typed client's next call:
 * the call goes to the new server with the new credentials, none goes to the old one.
 */
class LiveConnectionSettingsTest {
    final RecordingHttpClient http = new RecordingHttpClient(new OkHttpClient());
    WireMockServer before, after;

    @BeforeEach
    void servers() {
        before = new WireMockServer(options().dynamicPort());
        after = new WireMockServer(options().dynamicPort());
        for (WireMockServer w : new WireMockServer[] {before, after}) {
            w.start();
            w.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(404).withHeader("Content-Type", "application/json").withBody("{}")));
        }
    }

    @AfterEach
    void stop() {
        before.stop();
        after.stop();
    }

    String url(WireMockServer w, String path) { return "http://127.0.0.1:" + w.port() + path; }

    /** One call before and one after the push; each must reach its server with its credentials. */
    void check(Settings s, Map<String, String> pushed, Consumer<TransactionContext> call, String oldAuth, String newAuth) {
        tryCall(call);
        before.verify(1, anyRequestedFor(anyUrl()).withHeader("Authorization", containing(oldAuth)));
        s.applyPushed(pushed);
        tryCall(call);
        before.verify(1, anyRequestedFor(anyUrl()));
        after.verify(1, anyRequestedFor(anyUrl()).withHeader("Authorization", containing(newAuth)));
    }

    static void tryCall(Consumer<TransactionContext> call) {
        try {
            call.accept(new TransactionContext(null));
        } catch (RuntimeException upstreamError) {
            // the 404 of the stub: only where the call went matters here
        }
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    Settings settings(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return Settings.of(m);
    }

    @Test
    void openmrsClientFollowsUrlUserAndPassword() {
        Settings s = settings("openmrs.url", url(before, "/openmrs"), "openmrs.user", "admin", "openmrs.password", "old");
        OpenMrsClient c = OpenMrsClient.fromSettings(http, s);
        check(s, Map.of("openmrs.url", url(after, "/openmrs"), "openmrs.user", "sync", "openmrs.password", "new"),
                tx -> c.patient(tx, "p-1"), basic("admin", "old"), basic("sync", "new"));
        after.verify(anyRequestedFor(anyUrl()).withUrl("/openmrs/ws/rest/v1/patient/p-1?v=full"));
        assertThat(c.baseUrl()).isEqualTo(url(after, "/openmrs/"));
    }

    @Test
    void atomFeedReaderFollowsUrlUserAndPassword() {
        Settings s = settings("openmrs.url", url(before, "/openmrs"), "openmrs.user", "admin", "openmrs.password", "old");
        AtomFeedReader r = AtomFeedReader.fromSettings(http, s);
        // a marker stored before the edit names the old host: it is read from the new one
        String stored = r.recentUrl("patient");
        check(s, Map.of("openmrs.url", url(after, "/openmrs"), "openmrs.password", "new"),
                tx -> r.page(tx, stored), basic("admin", "old"), basic("admin", "new"));
        after.verify(anyRequestedFor(anyUrl()).withUrl("/openmrs/ws/atomfeed/patient/recent"));
    }

    @Test
    void commcareClientFollowsUrlDomainUserAndKey() {
        Settings s = settings("commcare.url", url(before, ""), "commcare.domain", "demo", "commcare.user", "u@example.org", "commcare.apiKey", "k1");
        CommCareClient c = CommCareClient.fromSettings(http, s);
        check(s, Map.of("commcare.url", url(after, ""), "commcare.domain", "other", "commcare.apiKey", "k2"),
                tx -> c.caseById(tx, "case-1"), "ApiKey u@example.org:k1", "ApiKey u@example.org:k2");
        after.verify(anyRequestedFor(anyUrl()).withUrl("/a/other/api/case/v2/case-1"));
    }

    @Test
    void fhirClientFollowsUrlAndSwitchesFromBasicToToken() {
        Settings s = settings("fhir.url", url(before, "/fhir"), "fhir.user", "fhir", "fhir.password", "old");
        FhirClient c = FhirClient.fromSettings(http, s);
        check(s, Map.of("fhir.url", url(after, "/fhir/"), "fhir.token", "t-2"),
                tx -> c.read(tx, "Task", "t1"), basic("fhir", "old"), "Bearer t-2");
        after.verify(anyRequestedFor(anyUrl()).withUrl("/fhir/Task/t1"));
    }

    @Test
    void dhis2AndRapidProClientsFollowTheirSettingsToo() {
        Settings d = settings("dhis2.url", url(before, "/dhis"), "dhis2.user", "admin", "dhis2.password", "district");
        Dhis2Client dhis2 = Dhis2Client.fromSettings(http, d);
        check(d, Map.of("dhis2.url", url(after, "/dhis"), "dhis2.token", "d2pat_x"),
                tx -> dhis2.get(tx, "system info", "system/info", Map.of()), basic("admin", "district"), "ApiToken d2pat_x");
        after.verify(anyRequestedFor(anyUrl()).withUrl("/dhis/api/system/info"));

        after.resetRequests();
        before.resetRequests();
        Settings r = settings("rapidpro.url", url(before, "/"), "rapidpro.token", "t1");
        RapidProClient rapidpro = RapidProClient.fromSettings(http, r);
        check(r, Map.of("rapidpro.url", url(after, "/"), "rapidpro.token", "t2"),
                tx -> rapidpro.contactByUrn(tx, "tel:+255712000001"), "Token t1", "Token t2");
    }

    @Test
    void aCommCareClientOnDemandChecksItsSettingsAtItsFirstCallAndFollowsThem() {
        Settings s = settings();
        CommCareClient c = CommCareClient.onDemand(http, s); // a mediator without CommCare settings still starts
        s.applyPushed(Map.of("commcare.url", url(before, ""), "commcare.domain", "demo", "commcare.user", "u@example.org", "commcare.apiKey", "k1"));
        check(s, Map.of("commcare.url", url(after, ""), "commcare.apiKey", "k2"),
                tx -> c.caseById(tx, "case-1"), "ApiKey u@example.org:k1", "ApiKey u@example.org:k2");
    }

    @Test
    void aBasicEndpointWithoutUserSendsNoAuthorizationUntilOneIsPushed() {
        Settings s = settings("opensrp.url", url(before, "/opensrp"));
        Supplier<Endpoint> e = Endpoint.basicIfUser(s, "opensrp");
        assertThat(e.get().authorization()).isNull();
        assertThat(e.get().base().toString()).isEqualTo(url(before, "/opensrp/"));
        s.applyPushed(Map.of("opensrp.user", "chw", "opensrp.password", "pw"));
        assertThat(e.get().authorization()).isEqualTo(basic("chw", "pw"));
        assertThatThrownBy(() -> Endpoint.basic(settings("opensrp.url", url(before, "/opensrp")), "opensrp").get())
                .hasMessageContaining("opensrp.user");
    }

    @Test
    void timeoutsFollowTheSettingsOnTheSameConnectionPool() {
        Settings s = settings("http.readTimeoutMs", "5000");
        RecordingHttpClient live = RecordingHttpClient.create(s);
        before.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withFixedDelay(700)));
        Request slow = new Request.Builder().url(url(before, "/slow")).get().build();
        var pool = live.okHttp().connectionPool();
        assertThat(live.send(new TransactionContext(null), "slow", slow).status()).isEqualTo(200);
        s.applyPushed(Map.of("http.readTimeoutMs", "200"));
        assertThatThrownBy(() -> live.send(new TransactionContext(null), "slow", slow))
                .isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.answerStatus()).isEqualTo(504));
        assertThat(live.okHttp().connectionPool()).isSameAs(pool);
        assertThat(live.okHttp().readTimeoutMillis()).isEqualTo(200);
    }

    @Test
    void aDerivedSettingIsDerivedAgainOnlyWhenOneOfItsKeysChanges() {
        Settings s = settings("openmrs.url", "http://a/openmrs", "other", "x");
        AtomicInteger derivations = new AtomicInteger();
        DerivedSetting<String> url = s.derived(c -> derivations.incrementAndGet() + " " + c.require("openmrs.url"), "openmrs.url");
        assertThat(url.get()).isEqualTo("1 http://a/openmrs");
        assertThat(url.get()).isEqualTo("1 http://a/openmrs");
        s.applyPushed(Map.of("other", "y"));
        assertThat(url.get()).isEqualTo("1 http://a/openmrs");
        s.applyPushed(Map.of("openmrs.url", "http://b/openmrs"));
        assertThat(url.get()).isEqualTo("2 http://b/openmrs");
        assertThat(derivations).hasValue(2);
    }
}
