package org.chis.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import okhttp3.Headers;
import org.junit.jupiter.api.Test;

/** A call's headers are recorded as before: one entry per name in names() order, values joined as values(name) gives them. */
class RecordedHeadersTest {
    private static Map<String, String> asNamesAndValuesGiveThem(Headers headers) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String n : headers.names()) out.put(n, String.join(", ", headers.values(n)));
        return out;
    }

    @Test
    void flattensAsNamesAndValuesDo() {
        Headers[] cases = {
                Headers.of(),
                Headers.of("Content-Type", "application/json", "Date", "Sun, 06 Dec 2026 23:00:00 GMT", "Content-Length", "12"),
                Headers.of("Set-Cookie", "a=1", "x-b", "2", "set-cookie", "b=2", "X-B", "3", "Authorization", "Basic x", "ETag", "\"e\""),
                Headers.of("b", "1", "A", "2", "a", "3", "_z", "4", "Z", "5", "~", "6"),
        };
        for (Headers h : cases) {
            Map<String, String> flat = RecordingHttpClient.flatten(h);
            assertThat(flat).isEqualTo(asNamesAndValuesGiveThem(h));
            assertThat(flat.keySet()).containsExactlyElementsOf(asNamesAndValuesGiveThem(h).keySet());
        }
    }
}
