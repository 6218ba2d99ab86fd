package org.chis.mediator.commcareopenmrs.opensrp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.chis.common.http.UpstreamException;
import org.chis.common.json.Json;
import org.chis.common.openhim.MediatorRequest;
import org.chis.common.openhim.MediatorResponse;
import org.chis.common.openhim.MediatorStatus;
import org.chis.common.audit.TransactionContext;
import org.chis.common.store.StateStore;
import org.chis.common.systems.openmrs.OpenMrsClient;

/**
 * OpenSRP practitioners (health workers) -> OpenMRS providers, one run: every active practitioner without a provider
 * in the id map gets one, found by its provider identifier or else created ({@code POST /provider {name, identifier}}),
 * and the id map records it. A rerun creates nothing twice: mapped practitioners are left alone, and a provider created
 * by a run that died before the id map write is found by its identifier. One practitioner's failure does not stop the others.
 */
final class ProviderSync {
    /** OpenSRP practitioner identifier -> OpenMRS provider uuid. */
    static final String PRACTITIONER_TO_PROVIDER = "opensrp-practitioner->provider";

    /** Which practitioner field becomes the OpenMRS provider identifier. */
    enum IdentifierField { USERNAME, IDENTIFIER }

    private final OpenSrpClient opensrp;
    private final OpenMrsClient openmrs;
    private final StateStore store;
    private final IdentifierField providerIdentifier;
    private final ReentrantLock running = new ReentrantLock();

    ProviderSync(OpenSrpClient opensrp, OpenMrsClient openmrs, StateStore store, IdentifierField providerIdentifier) {
        this.opensrp = opensrp;
        this.openmrs = openmrs;
        this.store = store;
        this.providerIdentifier = providerIdentifier;
    }

    MediatorResponse handle(MediatorRequest req, TransactionContext tx) {
        // one run at a time: two runs creating the same provider would make the second fail on OpenMRS's unique identifier
        if (!running.tryLock()) return MediatorResponse.completed(Json.object().put("busy", true).put("message", "another practitioner sync is running"));
        try {
            return run(tx);
        } finally {
            running.unlock();
        }
    }

    private MediatorResponse run(TransactionContext tx) {
        JsonNode practitioners = opensrp.practitioners(tx);
        int created = 0, matched = 0, unchanged = 0, inactive = 0;
        ArrayNode failed = Json.array();
        for (JsonNode p : practitioners) {
            String id = text(p, "identifier");
            if (id == null) {
                failed.addObject().put("error", "a practitioner without an identifier: " + Json.write(p));
                continue;
            }
            // OpenSRP's Practitioner.active is a Boolean; absent means not deactivated
            if (!p.path("active").asBoolean(true)) {
                inactive++;
                continue;
            }
            if (store.idMap().target(PRACTITIONER_TO_PROVIDER, id).isPresent()) {
                unchanged++;
                continue;
            }
            String code = providerIdentifier == IdentifierField.USERNAME ? text(p, "username") : id;
            String name = text(p, "name");
            if (code == null || name == null) {
                failed.addObject().put("practitioner", id).put("error", "practitioner " + id + " has no "
                        + (code == null ? providerIdentifier.name().toLowerCase(Locale.ROOT) : "name") + "; no provider written (complete it in OpenSRP)");
                continue;
            }
            try {
                Optional<String> existing = providerWithIdentifier(tx, code);
                String uuid;
                if (existing.isPresent()) {
                    uuid = existing.get();
                    matched++;
                } else {
                    uuid = openmrs.createReturningUuid(tx, "provider", Json.object().put("name", name).put("identifier", code));
                    created++;
                }
                store.idMap().put(PRACTITIONER_TO_PROVIDER, id, uuid);
            } catch (UpstreamException | IllegalStateException e) {
                // OpenMRS refused or failed (the next run retries), or the provider is already mapped from another practitioner
                failed.addObject().put("practitioner", id).put("error", e.getMessage());
            }
        }
        ObjectNode body = Json.object().put("practitioners", practitioners.size()).put("created", created).put("matched", matched)
                .put("unchanged", unchanged).put("inactive", inactive);
        body.set("failed", failed);
        tx.property("created", created).property("failed", failed.size());
        MediatorStatus status;
        if (!failed.isEmpty()) status = created + matched > 0 ? MediatorStatus.COMPLETED_WITH_ERRORS : MediatorStatus.FAILED;
        else status = created + matched > 0 ? MediatorStatus.SUCCESSFUL : MediatorStatus.COMPLETED;
        return MediatorResponse.json(status, status == MediatorStatus.FAILED ? 502 : 200, body);
    }

    /** OpenMRS's provider search matches identifiers and names loosely: keep the one whose identifier is this one. */
    private Optional<String> providerWithIdentifier(TransactionContext tx, String code) {
        List<JsonNode> hits = openmrs.list(tx, "OpenMRS: find provider", "provider", OpenMrsClient.query("q", code, "v", "default"));
        return hits.stream().filter(h -> code.equalsIgnoreCase(h.path("identifier").asText(""))).map(OpenMrsClient::uuidOf).findFirst();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull() || v.asText().isBlank()) return null;
        return v.asText().trim();
    }
}
