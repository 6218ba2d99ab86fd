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

    /** The quick scan compares a hint only where its first three letters stand: the masking must not change for it. */
    @Test
    void theQuickScanFindsHintsWhereverTheyStandAndOnlyThem() {
        // a hint at the very end of the text, one of three letters, upper case, after a non-Latin-1 character
        assertThat(Secrets.maskText("a=1&api_KEY=s")).isEqualTo("a=1&api_KEY=****");
        assertThat(Secrets.maskText("x=1 apikey=k")).isEqualTo("x=1 apikey=****");
        assertThat(Secrets.maskText("{\"name\":\"Zoë Ⅻ\",\"access_token\":\"t\"}")).isEqualTo("{\"name\":\"Zoë Ⅻ\",\"access_token\":\"****\"}");
        assertThat(Secrets.maskText("{\"AUTHORIZATION\":\"Basic x\",\"pwd\":\"y\"}")).isEqualTo("{\"AUTHORIZATION\":\"****\",\"pwd\":\"****\"}");
        // OpenMRS words that start like a hint but are none ("patient", "self", "auditInfo", "total"): left as they are
        String openmrs = "{\"patient\":{\"uuid\":\"p\"},\"links\":[{\"rel\":\"self\"}],\"auditInfo\":{},\"total\":1,\"passe\":\"secre\",\"toke\":\"autho\"}";
        assertThat(Secrets.maskText(openmrs)).isEqualTo(openmrs);
        // a hint cut by the end of the text, and look-alikes outside ASCII (the patterns ignore ASCII case only)
        assertThat(Secrets.maskText("{\"a\":\"auth\"}")).isEqualTo("{\"a\":\"auth\"}");
        String kelvin = "{\"api\u212Aey\":\"v\"}";
        assertThat(Secrets.maskText(kelvin)).isSameAs(kelvin);
    }
}
