package org.chis.simulators.opensrp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * OpenSRP's task table as opensrp-server-core's {@code TaskService} keeps it (domain {@code org.smartregister.domain.Task}):
 * one task per {@code identifier}, each write (add, update, status update) gets the next {@code serverVersion},
 * which is what {@code /rest/task/sync} pages on. Status values are the domain enum's JSON names.
 */
final class TaskStore {
    /** {@code Task.TaskStatus} as serialized: DRAFT "Draft", READY "Ready", ..., IN_PROGRESS "In Progress". */
    static final Set<String> STATUSES = Set.of("Draft", "Ready", "Cancelled", "In Progress", "Completed", "Failed", "Archived");

    private final Map<String, ObjectNode> byIdentifier = new LinkedHashMap<>();
    private long serverVersion;
    private int statusUpdates;

    /** Adds or replaces the task with this identifier (what {@code POST/PUT /rest/task} and {@code /rest/task/add} do). */
    synchronized ObjectNode save(ObjectNode task) {
        ObjectNode stored = task.deepCopy();
        stored.put("serverVersion", ++serverVersion);
        byIdentifier.put(stored.get("identifier").asText(), stored);
        return stored.deepCopy();
    }

    /** {@code TaskService.updateTaskStatus}: the known task gets the new status and businessStatus; false when unknown. */
    synchronized boolean updateStatus(String identifier, String status, String businessStatus) {
        ObjectNode t = byIdentifier.get(identifier);
        if (t == null || status == null || !STATUSES.contains(status)) return false;
        t.put("status", status);
        if (businessStatus != null) t.put("businessStatus", businessStatus);
        t.put("lastModified", Instant.now().toString());
        t.put("serverVersion", ++serverVersion);
        statusUpdates++;
        return true;
    }

    synchronized Optional<ObjectNode> byIdentifier(String identifier) {
        return Optional.ofNullable(byIdentifier.get(identifier)).map(ObjectNode::deepCopy);
    }

    /**
     * {@code TaskService.getTasksByTaskAndGroup(plan, group, serverVersion)} / {@code getTasksByOwner}: tasks of one of
     * the plans and groups (or of the owner) whose serverVersion is at least the one asked, oldest write first.
     */
    synchronized List<ObjectNode> sync(List<String> plans, List<String> groups, String owner, long fromServerVersion) {
        List<ObjectNode> out = new ArrayList<>();
        byIdentifier.values().stream()
                .filter(t -> t.path("serverVersion").asLong() >= fromServerVersion)
                .filter(t -> owner != null ? owner.equals(t.path("owner").asText(null))
                        : plans.contains(t.path("planIdentifier").asText("")) && groups.contains(t.path("groupIdentifier").asText("")))
                .sorted(Comparator.comparingLong(t -> t.path("serverVersion").asLong()))
                .forEach(t -> out.add(t.deepCopy()));
        return out;
    }

    synchronized List<ObjectNode> all() {
        List<ObjectNode> out = new ArrayList<>();
        byIdentifier.values().forEach(t -> out.add(t.deepCopy()));
        return out;
    }

    /** Accepted {@code update_status} changes. */
    synchronized int statusUpdates() { return statusUpdates; }

    synchronized void clear() {
        byIdentifier.clear();
        statusUpdates = 0;
    }
}
