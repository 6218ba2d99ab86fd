package org.chis.bench.faults;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.Request;
import org.chis.bench.Upstream;
import org.chis.bench.overhead.PassThroughMediator;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamResponse;
import org.chis.common.json.Json;
import org.chis.common.http.BadInputException;
import org.chis.common.openhim.MediatorApp;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.store.Ledger;
import org.chis.common.store.StateStore;
import org.chis.common.testing.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import com.github.tomakehurst.wiremock.client.WireMock;

/**
 * The state database goes away for a while (every connection dropped, new ones refused) under a mediator that
 * claims each item in its ledger before writing upstream: while it is gone, requests fail fast with 5xx and a
 * message and nothing is written; /health says so; when it is back the same requests succeed, and every item
 * reached the upstream exactly once (resends of finished items are answered from the ledger).
 */
class DatabaseOutageFaultTest {
    @AfterAll
    static void report() { FaultReport.print(); }

    @Test
    void mediatorSurvivesADatabaseOutageWithoutLosingOrDuplicating() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        URI real = URI.create(pg.jdbcUrl().substring("jdbc:".length()));
        try (CuttableProxy proxy = new CuttableProxy(real.getHost(), real.getPort());
             Upstream upstream = Upstream.recording(0)) {
            String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + real.getPath();
            MediatorApp app = PassThroughMediator.create(Map.of("upstream.url", upstream.echoUrl(), "mediator.inbound.username", "",
                    "db.url", url, "db.user", pg.user(), "db.password", pg.password(), "db.schema", "fault_db_outage",
                    "db.connectTimeoutMs", "1500", "db.poolSize", "4"));
            StateStore store = app.closeWithApp(StateStore.open(app.settings(), "fault-db-outage"));
            app.healthFact("database", store::healthy);
            RecordingHttpClient http = app.http();
            String echo = upstream.echoUrl();
            app.route("POST", "/items", (req, tx) -> {
                String id = req.json().path("id").asText("");
                if (id.isBlank()) throw new BadInputException("'id' is required");
                Ledger.Claim claim = store.ledger().claim("item:" + id, "item", Duration.ofMinutes(5));
                if (claim.result() == Ledger.ClaimResult.DONE) return MediatorResponse.successful(Json.object().put("id", id).put("already", true));
                if (!claim.owned()) return MediatorResponse.rejected(409, "item " + id + " is being processed");
                UpstreamResponse r = http.send(tx, "upstream", new Request.Builder().url(echo).header("X-Item-Id", id)
                        .post(RecordingHttpClient.jsonBody(req.body())).build());
                store.ledger().succeed("item:" + id, "{}");
                return MediatorResponse.successful(Json.object().put("id", id).put("upstream", r.status()));
            });
            app.start();
            String base = "http://127.0.0.1:" + app.port();
            try {
                int tried = 0;
                int survived = 0;
                List<String> seen = new ArrayList<>();
                for (int i = 1; i <= 10; i++) assertThat(Http.postJson(base + "/items", "{\"id\":\"a" + i + "\"}", null).status()).isEqualTo(200);

                proxy.cut();
                long t0 = System.nanoTime();
                int refusedFast = 0;
                for (int i = 1; i <= 10; i++) {
                    long s = System.nanoTime();
                    Http.Reply r = Http.postJson(base + "/items", "{\"id\":\"b" + i + "\"}", null);
                    if (r.status() >= 500 && !r.message().isBlank() && System.nanoTime() - s < Duration.ofSeconds(5).toNanos()) refusedFast++;
                    else seen.add("during outage b" + i + " -> " + r.status() + " " + r.message());
                }
                tried++;
                if (refusedFast == 10) survived++;
                seen.add("10 requests during the outage: " + refusedFast + " answered 5xx with a message within 5 s ("
                        + (System.nanoTime() - t0) / 1_000_000 + " ms in all)");
                boolean unhealthy = Http.get(base + "/health").body().contains("\"database\":false");
                tried++;
                if (unhealthy) survived++;
                seen.add("/health database=false during the outage: " + unhealthy);
                long writesDuringOutage = upstream.wireMock().countRequestsMatching(postRequestedFor(urlPathEqualTo("/echo"))
                        .withHeader("X-Item-Id", WireMock.matching("b.*")).build()).getCount();
                tried++;
                if (writesDuringOutage == 0) survived++;
                seen.add("upstream writes during the outage: " + writesDuringOutage);

                proxy.restore();
                long back = System.nanoTime();
                long deadline = back + Duration.ofSeconds(30).toNanos();
                while (!Http.get(base + "/health").body().contains("\"database\":true") && System.nanoTime() < deadline) Thread.sleep(100);
                seen.add("healthy again " + (System.nanoTime() - back) / 1_000_000 + " ms after the database returned");
                int okAfter = 0;
                for (String prefix : new String[] {"a", "b"}) {
                    for (int i = 1; i <= 10; i++) if (Http.postJson(base + "/items", "{\"id\":\"" + prefix + i + "\"}", null).status() == 200) okAfter++;
                }
                tried++;
                if (okAfter == 20) survived++;
                seen.add("after: " + okAfter + "/20 resends answered 200");
                int exactlyOnce = 0;
                for (String prefix : new String[] {"a", "b"}) {
                    for (int i = 1; i <= 10; i++) {
                        int n = upstream.wireMock().countRequestsMatching(postRequestedFor(urlPathEqualTo("/echo"))
                                .withHeader("X-Item-Id", equalTo(prefix + i)).build()).getCount();
                        if (n == 1) exactlyOnce++;
                    }
                }
                tried++;
                if (exactlyOnce == 20) survived++;
                seen.add(exactlyOnce + "/20 items reached the upstream exactly once");
                FaultReport.record("state database (PostgreSQL) unavailable, then back", tried, survived, String.join("; ", seen));
                assertThat(survived).as(String.join("\n", seen)).isEqualTo(tried);
            } finally {
                app.close();
            }
        }
    }
}
