package org.chis.common.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.chis.common.audit.TransactionContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The watchdog's sentinel must not change when a read timeout fires, below and above its own 1 s. */
class QuietWatchdogTest {
    static WireMockServer slow;

    @BeforeAll
    static void start() {
        slow = new WireMockServer(options().dynamicPort());
        slow.start();
        slow.stubFor(get(urlEqualTo("/slow")).willReturn(aResponse().withStatus(200).withBody("late").withFixedDelay(6000)));
    }

    @AfterAll
    static void stop() { slow.stop(); }

    @Test
    void readTimeoutsFireOnTimeShorterAndLongerThanTheSentinel() {
        for (long timeoutMs : new long[] {500, 2000}) {
            RecordingHttpClient http = new RecordingHttpClient(new OkHttpClient.Builder().readTimeout(Duration.ofMillis(timeoutMs)).build());
            TransactionContext tx = new TransactionContext("t");
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> http.send(tx, "slow", new Request.Builder().url(slow.baseUrl() + "/slow").build()))
                    .isInstanceOf(UpstreamException.class);
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(tookMs).as("timeout %d ms", timeoutMs).isBetween(timeoutMs - 50, timeoutMs + 3000);
        }
    }
}
