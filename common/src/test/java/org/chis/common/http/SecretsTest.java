package org.chis.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretsTest {
    @Test
    void masksCredentialHeaders() {
        assertThat(Secrets.maskHeaders(Map.of("Authorization", "Basic abc", "auth-token", "t", "X-API-Key", "k", "Content-Type", "application/json")))
                .containsEntry("Authorization", "****").containsEntry("auth-token", "****").containsEntry("X-API-Key", "****")
                .containsEntry("Content-Type", "application/json");
    }

    @Test
    void masksPasswordsAndTokensInBodiesQueriesAndUrls() {
        assertThat(Secrets.maskText("{\"username\":\"admin\",\"password\":\"Admin123\",\"api_key\":\"xyz\",\"rapidproToken\":\"t0k\"}"))
                .isEqualTo("{\"username\":\"admin\",\"password\":\"****\",\"api_key\":\"****\",\"rapidproToken\":\"****\"}");
        assertThat(Secrets.maskText("user=a&password=b&x=1")).isEqualTo("user=a&password=****&x=1");
        assertThat(Secrets.maskText("https://admin:district@dhis2.example.org/api")).isEqualTo("https://admin:****@dhis2.example.org/api");
        assertThat(Secrets.maskText("{\"name\":\"José\"}")).isEqualTo("{\"name\":\"José\"}");
        // the quick scan must not skip upper-case or embedded secret words
        assertThat(Secrets.maskText("{\"DB_PASSWD\":\"x\",\"clientSecret\":\"y\",\"X-Auth-Token\":\"z\",\"APIKEY\":\"k\"}"))
                .isEqualTo("{\"DB_PASSWD\":\"****\",\"clientSecret\":\"****\",\"X-Auth-Token\":\"****\",\"APIKEY\":\"****\"}");
        assertThat(Secrets.maskText("PWD=1&Authorization=Basic%20eA")).isEqualTo("PWD=****&Authorization=****");
        assertThat(Secrets.maskText("{\"PaSsWoRd\":\"x\"}")).isEqualTo("{\"PaSsWoRd\":\"****\"}");
        assertThat(Secrets.maskText("a=1;ApiKey=s")).isEqualTo("a=1;ApiKey=****");
        assertThat(Secrets.maskText("{\"tok\":\"pa\",\"ke\":\"se\"}")).as("no hint, only its first letters").isEqualTo("{\"tok\":\"pa\",\"ke\":\"se\"}");
        String plain = "{\"display\":\"10001-A - Jane Doe\",\"uuid\":\"abc\"}";
        assertThat(Secrets.maskText(plain)).isSameAs(plain);
    }
}
