package org.chis.common.systems.dhis2;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TrackerPageTest {

    @Test
    void pagerShapeOf241() {
        TrackerPage p = TrackerPage.parse("""
                {"pager":{"page":1,"pageSize":2,"nextPage":"http://x/api/tracker/trackedEntities?page=2&pageSize=2"},
                 "trackedEntities":[{"trackedEntity":"a"},{"trackedEntity":"b"}]}""", "trackedEntities", 2);
        assertThat(p.items()).hasSize(2);
        assertThat(p.hasNext()).isTrue();
        TrackerPage last = TrackerPage.parse("""
                {"pager":{"page":3,"pageSize":2},"trackedEntities":[{"trackedEntity":"e"}]}""", "trackedEntities", 2);
        assertThat(last.hasNext()).isFalse();
    }

    @Test
    void instancesShapeOf240WithTotals() {
        TrackerPage p = TrackerPage.parse("""
                {"page":2,"pageSize":2,"total":6,"pageCount":3,"instances":[{"event":"a"},{"event":"b"}]}""", "events", 2);
        assertThat(p.page()).isEqualTo(2);
        assertThat(p.hasNext()).isTrue();
        TrackerPage p3 = TrackerPage.parse("""
                {"page":3,"pageSize":2,"total":6,"pageCount":3,"instances":[{"event":"e"},{"event":"f"}]}""", "events", 2);
        assertThat(p3.hasNext()).isFalse();
    }

    @Test
    void withoutTotalsAFullPageMayHaveASuccessor() {
        TrackerPage p = TrackerPage.parse("""
                {"page":1,"pageSize":2,"instances":[{"event":"a"},{"event":"b"}]}""", "events", 2);
        assertThat(p.hasNext()).isTrue();
    }
}
