package org.chis.common.systems.openmrs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import okhttp3.OkHttpClient;
import org.chis.common.http.RecordingHttpClient;
import org.chis.common.http.UpstreamException;
import org.junit.jupiter.api.Test;

/** Parsing the two OpenMRS feed publishers' pages (no HTTP: {@link AtomFeedReader#parse}). */
class AtomFeedReaderTest {
    final AtomFeedReader reader = new AtomFeedReader(new RecordingHttpClient(new OkHttpClient()), "http://openmrs.local:8080/openmrs", "u", "p");

    static String page(String content, String extraCategory) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <feed xmlns="http://www.w3.org/2005/Atom">
                  <title>Patient AOP</title>
                  <link rel="self" type="application/atom+xml" href="http://10.0.0.7/openmrs/ws/atomfeed/patient/recent" />
                  <link rel="via" type="application/atom+xml" href="http://10.0.0.7/openmrs/ws/atomfeed/patient/3" />
                  <link rel="prev-archive" type="application/atom+xml" href="http://10.0.0.7/openmrs/ws/atomfeed/patient/2" />
                  <author><name>OpenMRS</name></author>
                  <id>bec795b1-3d17-451d-b43e-a094019f6984+3</id>
                  <generator uri="https://github.com/ICT4H/atomfeed">OpenMRS Feed Publisher</generator>
                  <updated>2024-05-01T10:00:00Z</updated>
                  <entry>
                    <title>Patient</title>
                    <category term="patient" />%s
                    <id>tag:atomfeed.ict4h.org:5f0c3d8e-1111-4222-8333-944455556666</id>
                    <updated>2024-05-01T10:00:00.123Z</updated>
                    <published>2024-05-01T10:00:00.123Z</published>
                    <content type="application/vnd.atomfeed+xml">%s</content>
                  </entry>
                </feed>
                """.formatted(extraCategory, content);
    }

    @Test
    void bahmniPublisherContentInCdataIsAPlainPath() {
        FeedPage p = reader.parse(page("<![CDATA[/openmrs/ws/rest/v1/patient/0b8a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d?v=full]]>", ""), "x");
        FeedEntry e = p.entries().get(0);
        assertThat(e.content()).isEqualTo("/openmrs/ws/rest/v1/patient/0b8a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d?v=full");
        assertThat(e.resourceUuid()).isEqualTo("0b8a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d");
        assertThat(e.resourceKind()).isEqualTo("patient");
        assertThat(e.action()).isNull();
        assertThat(e.id()).isEqualTo("tag:atomfeed.ict4h.org:5f0c3d8e-1111-4222-8333-944455556666");
        // links re-based onto the configured OpenMRS (the publisher wrote its own address)
        assertThat(p.viaUrl()).isEqualTo("http://openmrs.local:8080/openmrs/ws/atomfeed/patient/3");
        assertThat(p.prevArchive()).isEqualTo("http://openmrs.local:8080/openmrs/ws/atomfeed/patient/2");
        assertThat(p.nextArchive()).isNull();
        assertThat(p.indexOf(e.id())).isZero();
    }

    @Test
    void genericPublisherContentIsJsonLinksWithTheActionAsCategory() {
        FeedPage p = reader.parse(page("<![CDATA[{\"rest\":\"/ws/rest/v1/encounter/0b8a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d?v=full\","
                + "\"fhir\":\"/ws/fhir2/R4/Encounter/0b8a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d\"}]]>", "\n<category term=\"UPDATED\" />"), "x");
        FeedEntry e = p.entries().get(0);
        assertThat(e.resourcePath()).isEqualTo("/ws/rest/v1/encounter/0b8a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d?v=full");
        assertThat(e.resourceKind()).isEqualTo("encounter");
        assertThat(e.action()).isEqualTo("UPDATED");
    }

    @Test
    void escapedContentWithoutCdataAndBahmniEncounterPaths() {
        FeedPage p = reader.parse(page("/openmrs/ws/rest/v1/bahmnicore/bahmniencounter/0b8a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d?includeAll=true&amp;x=1", ""), "x");
        FeedEntry e = p.entries().get(0);
        assertThat(e.content()).endsWith("?includeAll=true&x=1");
        assertThat(e.resourceKind()).isEqualTo("encounter");
        assertThat(e.resourceUuid()).isEqualTo("0b8a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d");
    }

    @Test
    void aPageThatIsNotAtomIsAnUpstreamError() {
        assertThatThrownBy(() -> reader.parse("<html><body>Tomcat error</body></html>", "http://x/feed"))
                .isInstanceOf(UpstreamException.class).hasMessageContaining("not a readable atom feed");
    }

    @Test
    void theParserKeptPerThreadReadsPageAfterPageAndStillRefusesDoctypes() {
        assertThatThrownBy(() -> reader.parse("<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>", "http://x/feed/2"))
                .isInstanceOf(UpstreamException.class).hasMessageContaining("not a readable atom feed");
        // after a broken page, and page after page, entries are read as on the first page
        for (int i = 0; i < 3; i++) {
            FeedPage p = reader.parse(page("<![CDATA[/openmrs/ws/rest/v1/patient/0b8a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2" + i + "?v=full]]>", ""), "x");
            assertThat(p.entries()).hasSize(1);
            assertThat(p.entries().get(0).resourceUuid()).isEqualTo("0b8a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2" + i);
        }
        // no DOCTYPE (so no external entity reads), as Rome's own input refuses it
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE feed [<!ENTITY x SYSTEM \"file:///etc/hostname\">]>"
                + "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>&x;</title></feed>";
        assertThatThrownBy(() -> reader.parse(xxe, "http://x/feed/3")).isInstanceOf(UpstreamException.class);
    }
}
