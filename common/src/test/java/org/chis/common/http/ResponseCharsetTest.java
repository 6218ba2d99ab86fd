package org.chis.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

/** An answer's body is read in the charset its Content-Type names (UTF-8 when none), also when the type is seen again. */
class ResponseCharsetTest {
    private static Response answer(String contentType) {
        Response.Builder b = new Response.Builder().request(new Request.Builder().url("http://localhost/").build())
                .protocol(Protocol.HTTP_1_1).code(200).message("OK");
        if (contentType != null) b.header("Content-Type", contentType);
        return b.build();
    }

    @Test
    void charsetOfTheContentType() {
        for (int round = 0; round < 2; round++) {
            assertThat(RecordingHttpClient.charsetOf(answer("text/plain; charset=ISO-8859-1"))).isEqualTo(StandardCharsets.ISO_8859_1);
            assertThat(RecordingHttpClient.charsetOf(answer("text/plain; charset=ISO-8859-1"))).isEqualTo(StandardCharsets.ISO_8859_1);
            assertThat(RecordingHttpClient.charsetOf(answer("application/json"))).isEqualTo(StandardCharsets.UTF_8);
            assertThat(RecordingHttpClient.charsetOf(answer(null))).isEqualTo(StandardCharsets.UTF_8);
            assertThat(RecordingHttpClient.charsetOf(answer("text/xml; charset=UTF-16"))).isEqualTo(StandardCharsets.UTF_16);
            assertThat(RecordingHttpClient.charsetOf(answer("text/plain; charset=no-such-charset"))).isEqualTo(StandardCharsets.UTF_8);
            assertThat(RecordingHttpClient.charsetOf(answer("not a media type"))).isEqualTo(StandardCharsets.UTF_8);
        }
    }
}
