package org.chis.common.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JsonTest {
    /** topLevelText answers what parse(text).path(field).asText(null) answers for a created object's uuid. */
    @Test
    void readsOneTopLevelFieldWithoutTheTree() {
        String created = "{\"person\":{\"uuid\":\"inner\",\"names\":[{\"uuid\":\"n\"}]},\"uuid\":\"abc-1\",\"links\":[{\"rel\":\"self\"}]}";
        assertThat(Json.topLevelText(created, "uuid")).isEqualTo("abc-1").isEqualTo(Json.parse(created).path("uuid").asText(null));
        assertThat(Json.topLevelText("{\"display\":\"x\"}", "uuid")).isNull();
        assertThat(Json.topLevelText("{\"uuid\":null}", "uuid")).isNull();
        assertThat(Json.topLevelText("{\"uuid\":{\"a\":1}}", "uuid")).isEqualTo("");
        assertThat(Json.topLevelText("[{\"uuid\":\"a\"}]", "uuid")).isNull();
        assertThat(Json.topLevelText("{\"uuid\":7}", "uuid")).isEqualTo("7");
    }

    /** Up to the field, malformed text fails as in parse; past it, the answer is not read (only its uuid is used). */
    @Test
    void malformedJsonBeforeTheFieldFailsAsParseDoes() {
        assertThatThrownBy(() -> Json.topLevelText("{\"b\":[1,},\"uuid\":\"a\"}", "uuid"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("malformed JSON");
        assertThatThrownBy(() -> Json.topLevelText("{\"b\":1}}", "uuid"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("malformed JSON");
        assertThatThrownBy(() -> Json.topLevelText("<html>502</html>", "uuid"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("malformed JSON");
        assertThat(Json.topLevelText("{\"uuid\":\"a\",\"display\":\"not read", "uuid")).isEqualTo("a");
    }
}
