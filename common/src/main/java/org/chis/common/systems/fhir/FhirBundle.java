package org.chis.common.systems.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A search result page: the matching resources ({@code search.mode} match) and the link to the next page. */
public record FhirBundle(JsonNode json) {

    /** Matches only: resources a server adds with {@code _include} come with search mode "include". */
    public List<FhirResource> resources() {
        List<FhirResource> out = new ArrayList<>();
        for (JsonNode e : json.path("entry")) {
            JsonNode r = e.path("resource");
            if (!r.isObject()) continue;
            String mode = e.path("search").path("mode").asText("match");
            if (mode.equals("match")) out.add(FhirResource.of(r));
        }
        return out;
    }

    /** {@code total} when the server counted (HAPI does for small results), else empty. */
    public Optional<Integer> total() {
        return json.hasNonNull("total") ? Optional.of(json.get("total").asInt()) : Optional.empty();
    }

    public Optional<String> nextUrl() {
        for (JsonNode l : json.path("link")) {
            if ("next".equals(l.path("relation").asText())) return Optional.ofNullable(l.path("url").asText(null));
        }
        return Optional.empty();
    }
}
