package org.chis.bench;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.common.Slf4jNotifier;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

/**
 * A WireMock upstream that answers {@code /echo} (any method) with a small JSON body after a fixed latency.
 * The request journal is off: at 200 concurrent callers it would grow without bound and skew the figures.
 */
public final class Upstream implements AutoCloseable {
    public static final String BODY = "{\"status\":\"ok\",\"uuid\":\"5b6f1c64-2b0d-4a6e-9b8e-0e3c1f9a7d21\",\"display\":\"bench upstream\"}";

    private final WireMockServer server;
    private final int latencyMs;

    private Upstream(int latencyMs, boolean journal) {
        this.latencyMs = latencyMs;
        WireMockConfiguration options = WireMockConfiguration.options()
                .port(0).bindAddress("127.0.0.1")
                .containerThreads(420).jettyAcceptors(2)
                // delays are scheduled, not slept on a Jetty thread, so 200 callers wait in parallel
                .asynchronousResponseEnabled(true).asynchronousResponseThreads(16)
                .notifier(new Slf4jNotifier(false));
        if (!journal) options.disableRequestJournal();
        server = new WireMockServer(options);
        server.start();
        server.stubFor(any(urlPathEqualTo("/echo")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(BODY).withFixedDelay(latencyMs)));
    }

    public static Upstream start(int latencyMs) { return new Upstream(latencyMs, false); }

    /** With WireMock's request journal, for tests that count what reached the upstream (not for load). */
    public static Upstream recording(int latencyMs) { return new Upstream(latencyMs, true); }

    public String baseUrl() { return "http://127.0.0.1:" + server.port(); }

    public String echoUrl() { return baseUrl() + "/echo"; }

    public int latencyMs() { return latencyMs; }

    public WireMockServer wireMock() { return server; }

    @Override
    public void close() { server.stop(); }
}
