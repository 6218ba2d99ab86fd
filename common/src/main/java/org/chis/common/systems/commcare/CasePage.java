package org.chis.common.systems.commcare;

import java.util.List;

/** One page of a Case API v2 list: {@code matching_records}, {@code cases}, and the cursor URL of the next page (null at the end). */
public record CasePage(long matchingRecords, List<CommCareCase> cases, String nextUrl) {
    public CasePage {
        cases = cases == null ? List.of() : List.copyOf(cases);
    }

    public boolean hasNext() { return nextUrl != null; }
}
