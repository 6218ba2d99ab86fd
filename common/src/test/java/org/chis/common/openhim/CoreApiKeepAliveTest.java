package org.chis.common.openhim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.chis.common.config.Settings;
import org.junit.jupiter.api.Test;

/**
 * OpenHIM core (node) closes an idle keep-alive connection after 5 s without saying so in the response; the next
 * GET on that pooled connection then reads "unexpected end of stream". Seen against the real core 4.0.5 in
 * openhim-local's MediatorRuntimeIntegrationTest. Here a server answers keep-alive and hangs up right after.
 */
class CoreApiKeepAliveTest {

    @Test
    void anIdempotentCallIsSentAgainWhenCoreClosedTheReusedConnection() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        AtomicInteger requests = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        connections.incrementAndGet();
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                        String line;
                        while ((line = in.readLine()) != null && !line.isEmpty()) {
                            // headers of a GET: no body to read
                        }
                        requests.incrementAndGet();
                        OutputStream out = s.getOutputStream();
                        out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"
                                .getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        // closes on leaving the try: keep-alive promised, connection gone
                    } catch (Exception e) {
                        // server closed at the end of the test
                    }
                }
            }, "keep-alive-closing-server");
            t.setDaemon(true);
            t.start();

            CoreApi api = CoreApi.fromSettings(Settings.of(Map.of("core.api.url", "http://127.0.0.1:" + server.getLocalPort(),
                    "core.api.password", "x", "core.api.auth", "basic")));
            assertThat(api.get("/mediators").status()).isEqualTo(200);
            assertThat(api.get("/mediators").status()).isEqualTo(200);
            assertThat(api.delete("/mediators/urn:x").status()).isEqualTo(200);
            assertThat(requests.get()).isEqualTo(3);
            assertThat(connections.get()).isGreaterThanOrEqualTo(3);
        }
    }
}
