package org.chis.bench;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * nginx from the distribution (Debian: {@code apt-get install nginx}) as the load balancer in front of mediator
 * replicas: a generated config in a folder of its own ({@code -p} prefix: logs, pid, temp files there), a free port on
 * 127.0.0.1, in the foreground ({@code daemon off}) as a child process. Same upstream settings as
 * docker/nginx/nginx.conf.
 */
public final class Nginx implements AutoCloseable {
    private final Process process;
    private final Path dir;
    private final int port;

    private Nginx(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** The nginx binary: on the PATH or /usr/sbin/nginx; a clear error saying how to install it when missing. */
    public static Path binary() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isBlank() && Files.isExecutable(Path.of(d, "nginx"))) return Path.of(d, "nginx");
        }
        for (String p : List.of("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")) {
            if (Files.isExecutable(Path.of(p))) return Path.of(p);
        }
        throw new IllegalStateException("nginx not found (on the PATH or in /usr/sbin): the replicas test and the replicas bench put"
                + " nginx in front of the mediators; install it: apt-get install -y nginx (Debian/Ubuntu; .ci/run installs it)");
    }

    /** Starts nginx balancing over {@code upstreamPorts} (127.0.0.1), config and logs in {@code dir}. */
    public static Nginx start(Path dir, List<Integer> upstreamPorts) throws IOException, InterruptedException {
        Path bin = binary();
        Files.createDirectories(dir);
        int port = freePort();
        StringBuilder servers = new StringBuilder();
        for (int p : upstreamPorts) servers.append("    server 127.0.0.1:").append(p).append(" max_fails=1 fail_timeout=5s;\n");
        String conf = """
                worker_processes 1;
                error_log %1$s/error.log warn;
                pid %1$s/nginx.pid;
                events { worker_connections 1024; }
                http {
                  access_log %1$s/access.log;
                  client_body_temp_path %1$s/client_temp;
                  proxy_temp_path %1$s/proxy_temp;
                  fastcgi_temp_path %1$s/fastcgi_temp;
                  uwsgi_temp_path %1$s/uwsgi_temp;
                  scgi_temp_path %1$s/scgi_temp;
                  upstream mediator {
                %2$s    keepalive 32;
                    keepalive_timeout 4s;
                  }
                  server {
                    listen 127.0.0.1:%3$d;
                    client_max_body_size 10m;
                    location / {
                      proxy_pass http://mediator;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                      proxy_set_header Host $host;
                      proxy_read_timeout 60s;
                      proxy_next_upstream error timeout;
                    }
                  }
                }
                """.formatted(dir.toAbsolutePath(), servers, port);
        // as root the workers would switch to "nobody", who cannot write the temp folders under a root-owned prefix
        if ("root".equals(System.getProperty("user.name"))) conf = "user root root;\n" + conf;
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, conf, StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(bin.toString(), "-p", dir.toAbsolutePath() + "/", "-c", file.toAbsolutePath().toString(),
                "-g", "daemon off;").redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        Nginx n = new Nginx(p, dir, port);
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) throw new IOException("nginx exited " + p.exitValue() + ": " + n.log());
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return n;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        n.close();
        throw new IOException("nginx not listening on " + port + " after 15 s: " + n.log());
    }

    public int port() { return port; }

    public String url() { return "http://127.0.0.1:" + port; }

    public Path dir() { return dir; }

    /** What nginx wrote (its stdout and error log). */
    public String log() {
        StringBuilder b = new StringBuilder();
        for (String f : List.of("stdout.log", "error.log")) {
            try {
                if (Files.exists(dir.resolve(f))) b.append(Files.readString(dir.resolve(f), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // best effort, for a message
            }
        }
        return b.toString();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM: nginx's fast shutdown
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
