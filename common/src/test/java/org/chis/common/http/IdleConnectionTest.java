package org.chis.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Request;
import org.chis.common.config.Settings;
import org.chis.common.audit.TransactionContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An upstream that closes a keep-alive connection once it has answered (as servers do after their idle timeout),
 * without saying so: the next call finds a dead connection in our pool. A read must go through on a new connection;
 * a write must not be sent twice (it fails, and the saga decides).
 */
class IdleConnectionTest {
    ServerSocket server;
    final AtomicInteger posts = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
    Thread acceptor;

    @BeforeEach
    void start() throws Exception {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                    String line = in.readLine();
                    if (line == null) continue;
                    requests.incrementAndGet();
                    if (line.startsWith("POST")) posts.incrementAndGet();
                    int length = 0;
                    for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
                        if (h.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(h.substring(15).trim());
                    }
                    for (int i = 0; i < length; i++) in.read();
                    OutputStream out = s.getOutputStream();
                    // keep-alive answer (no "Connection: close"), then the socket is closed: the client pools a dead connection
                    out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                } catch (Exception e) {
                    // closed at the end of the test
                }
            }
        }, "closing-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    @AfterEach
    void stop() throws Exception { server.close(); }

    RecordingHttpClient client() {
        return RecordingHttpClient.create(Settings.of(Map.of("http.readTimeoutMs", "2000"), Path.of(".")));
    }

    String url() { return "http://127.0.0.1:" + server.getLocalPort() + "/x"; }

    @Test
    void aReadAfterTheUpstreamClosedThePooledConnectionGoesThrough() throws Exception {
        RecordingHttpClient http = client();
        TransactionContext tx = TransactionContext.detached("test");
        assertThat(http.send(tx, "first", new Request.Builder().url(url()).get().build()).status()).isEqualTo(200);
        Thread.sleep(100); // the upstream's close has arrived
        assertThat(http.send(tx, "second", new Request.Builder().url(url()).get().build()).status()).isEqualTo(200);
    }

    @Test
    void aWriteOnADeadConnectionIsNotSentTwice() throws Exception {
        RecordingHttpClient http = client();
        TransactionContext tx = TransactionContext.detached("test");
        assertThat(http.send(tx, "first", new Request.Builder().url(url()).get().build()).status()).isEqualTo(200);
        Thread.sleep(100);
        int before = requests.get();
        try {
            http.send(tx, "write", new Request.Builder().url(url()).post(RecordingHttpClient.jsonBody("{}")).build());
        } catch (UpstreamException e) {
            // the dead connection: the saga decides; what matters is that no second POST went out
        }
        assertThat(posts.get()).isLessThanOrEqualTo(1);
        assertThat(requests.get() - before).isLessThanOrEqualTo(1);
    }
}
