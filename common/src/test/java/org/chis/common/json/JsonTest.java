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

    @Test
    void malformedJsonFailsAsParseDoes() {
        assertThatThrownBy(() -> Json.topLevelText("{\"uuid\":\"a\",\"b\":[1,}", "uuid"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("malformed JSON");
        assertThatThrownBy(() -> Json.topLevelText("{\"uuid\":\"a\"}}", "uuid"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("malformed JSON");
        assertThatThrownBy(() -> Json.parse("{\"uuid\":\"a\"}}")).isInstanceOf(IllegalArgumentException.class);
    }
}
