package org.chis.bench.faults;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;

/**
 * The nastiest timeout for a saga: the upstream does the write, and only its answer is lost (it arrives after the
 * client's read timeout). A stub proxies the request to the same WireMock server, where the simulator serves it at
 * once (the write lands in its state), and holds the answer back {@code holdMs}. Works for every simulator, also
 * those whose API builds answers from scratch (a plain fixed delay on their stub would be dropped).
 */
final class LostAnswer {
    static final String HEADER = "X-Fault-Lost-Answer";

    private LostAnswer() {}

    static StubMapping inject(WireMockServer server, MappingBuilder request, int holdMs) {
        return server.stubFor(request.withHeader(HEADER, absent()).atPriority(1).willReturn(aResponse()
                .proxiedFrom("http://127.0.0.1:" + server.port()).withAdditionalRequestHeader(HEADER, "served").withFixedDelay(holdMs)));
    }

    /** The outer (held back) half of a lost answer: not a second request to the upstream, so not counted as one. */
    static boolean heldBack(ServeEvent e) { return e.getResponseDefinition() != null && e.getResponseDefinition().isProxyResponse(); }
}
