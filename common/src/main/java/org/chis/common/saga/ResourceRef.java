package org.chis.common.saga;

import java.util.Objects;

/** Something a saga step created upstream, e.g. {@code ("openmrs-encounter", "<uuid>")}; the kind picks its Compensator. */
public record ResourceRef(String kind, String id) {
    public ResourceRef {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(id, "id");
    }

    @Override
    public String toString() { return kind + "/" + id; }
}
