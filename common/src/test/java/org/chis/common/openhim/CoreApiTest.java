package org.chis.common.openhim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.chis.common.config.Settings;
import org.chis.common.testing.CoreStub;
import org.junit.jupiter.api.Test;

class CoreApiTest {

    private static CoreApi api(CoreStub core, String mode) {
        return CoreApi.fromSettings(Settings.of(Map.of("core.api.url", core.url(), "core.api.user", CoreStub.USER,
                "core.api.password", CoreStub.PASSWORD, "core.api.auth", mode)));
    }

    @Test
    void basicLoginIsAcceptedByACoreThatKnowsBasic() throws Exception {
        try (CoreStub core = new CoreStub(CoreStub.Mode.BASIC_ONLY)) {
            assertThat(api(core, "basic").get("/mediators").status()).isEqualTo(200);
            assertThat(core.calls).extracting(CoreStub.Call::scheme).containsOnly("basic");
        }
    }

    @Test
    void tokenLoginHashesTheWayCoreChecksIt() throws Exception {
        try (CoreStub core = new CoreStub(CoreStub.Mode.TOKEN_ONLY)) {
            assertThat(api(core, "token").get("/mediators").status()).isEqualTo(200);
            assertThat(core.count("GET", "/mediators")).isEqualTo(1);
            assertThat(core.calls.stream().filter(c -> c.path().equals("/mediators")).findFirst().orElseThrow().scheme()).isEqualTo("token");
        }
    }

    @Test
    void autoFallsBackToTokenOn401AndRemembersIt() throws Exception {
        try (CoreStub core = new CoreStub(CoreStub.Mode.TOKEN_ONLY)) { // core 4.x
            CoreApi api = api(core, "auto");
            assertThat(api.get("/mediators").status()).isEqualTo(200);
            assertThat(api.get("/channels").status()).isEqualTo(200);
            assertThat(api.workingScheme()).isEqualTo(CoreApiAuth.TOKEN);
            // first call: basic refused, token accepted; second call goes straight to token
            assertThat(core.calls.stream().filter(c -> !c.path().startsWith("/authenticate")).map(CoreStub.Call::scheme))
                    .containsExactly("basic", "token", "token");
        }
    }

    @Test
    void autoUsesBasicWhereTokenLoginDoesNotExist() throws Exception {
        try (CoreStub core = new CoreStub(CoreStub.Mode.BASIC_ONLY)) { // core 8.x user without a token passport
            CoreApi api = api(core, "auto");
            assertThat(api.get("/mediators").status()).isEqualTo(200);
            assertThat(api.workingScheme()).isEqualTo(CoreApiAuth.BASIC);
            assertThat(core.count("GET", "/authenticate")).isZero();
        }
    }

    @Test
    void forbiddenIsAnAnswerNotAReasonToTryTheOtherScheme() throws Exception {
        try (CoreStub core = new CoreStub(CoreStub.Mode.FORBIDDEN)) {
            assertThat(api(core, "auto").get("/mediators").status()).isEqualTo(403);
            assertThat(core.count("GET", "/authenticate")).isZero();
            assertThat(core.count("GET", "/mediators")).isEqualTo(1);
        }
    }

    @Test
    void tokenLoginAsksForTheSaltOnceAndUsesCoresClockAfterwards() throws Exception {
        try (CoreStub core = new CoreStub(CoreStub.Mode.TOKEN_ONLY)) {
            CoreApi api = api(core, "token");
            assertThat(api.get("/mediators").status()).isEqualTo(200);
            assertThat(api.post("/mediators/urn:x/heartbeat", "{}").status()).isIn(200, 404);
            assertThat(api.get("/channels").status()).isEqualTo(200);
            assertThat(core.count("GET", "/authenticate")).isEqualTo(1);
            assertThat(core.calls).filteredOn(c -> !c.path().startsWith("/authenticate")).extracting(CoreStub.Call::scheme).containsOnly("token");
        }
    }

    @Test
    void tokenLoginAsksForTheSaltAgainWhenCoreRefusesTheCachedOne() throws Exception {
        try (CoreStub core = new CoreStub(CoreStub.Mode.TOKEN_ONLY)) {
            CoreApi api = api(core, "auto");
            assertThat(api.get("/mediators").status()).isEqualTo(200);
            core.salt("salt-after-a-password-change");
            assertThat(api.get("/channels").status()).isEqualTo(200);
            assertThat(core.count("GET", "/authenticate")).isEqualTo(2);
            assertThat(api.workingScheme()).isEqualTo(CoreApiAuth.TOKEN);
        }
    }
}
