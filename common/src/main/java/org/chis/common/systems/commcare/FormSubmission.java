package org.chis.common.systems.commcare;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An XForm instance to submit to HQ's receiver: {@code <data xmlns=FORM_XMLNS>}, question values, case blocks and
 * the OpenRosa {@code meta} block. {@code instanceID} must be unique per submission; HQ ignores a second
 * submission with the same instanceID, so a deterministic one makes a retried submission harmless.
 * The form xmlns tells the suite's own submissions apart (echo suppression).
 */
public final class FormSubmission {
    public static final String META_XMLNS = "http://openrosa.org/jr/xforms";

    private final String xmlns;
    private final String instanceId;
    private String name = "CHIS integration";
    private String deviceId = "chis-mediator";
    private String userId;
    private String username;
    private Instant timeStart;
    private Instant timeEnd;
    private final Map<String, String> questions = new LinkedHashMap<>();
    private final List<CaseBlock> cases = new ArrayList<>();

    public FormSubmission(String xmlns, String instanceId) {
        if (xmlns == null || xmlns.isBlank()) throw new IllegalArgumentException("a form needs an xmlns");
        if (instanceId == null || instanceId.isBlank()) throw new IllegalArgumentException("a form needs an instanceID");
        this.xmlns = xmlns;
        this.instanceId = instanceId;
    }

    public FormSubmission name(String n) { this.name = n; return this; }
    public FormSubmission deviceId(String d) { this.deviceId = d; return this; }
    public FormSubmission user(String id, String name) { this.userId = id; this.username = name; return this; }
    public FormSubmission times(Instant start, Instant end) { this.timeStart = start; this.timeEnd = end; return this; }
    public FormSubmission question(String name, String value) { questions.put(name, value); return this; }

    public FormSubmission addCase(CaseBlock block) {
        if (userId != null) block.userId(userId);
        cases.add(block);
        return this;
    }

    public String xmlns() { return xmlns; }
    public String instanceId() { return instanceId; }
    public List<CaseBlock> cases() { return List.copyOf(cases); }

    public String toXml() {
        Instant end = timeEnd == null ? Instant.now() : timeEnd;
        Instant start = timeStart == null ? end : timeStart;
        StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        x.append("<data xmlns=\"").append(Xml.attr(xmlns)).append("\" name=\"").append(Xml.attr(name)).append("\" version=\"1\">");
        questions.forEach((k, v) -> x.append('<').append(k).append('>').append(Xml.text(v)).append("</").append(k).append('>'));
        for (CaseBlock c : cases) x.append(c.toXml());
        x.append("<n0:meta xmlns:n0=\"").append(META_XMLNS).append("\">");
        meta(x, "deviceID", deviceId);
        meta(x, "timeStart", start.truncatedTo(ChronoUnit.MILLIS).toString());
        meta(x, "timeEnd", end.truncatedTo(ChronoUnit.MILLIS).toString());
        meta(x, "username", username);
        meta(x, "userID", userId);
        meta(x, "instanceID", instanceId);
        x.append("</n0:meta></data>");
        return x.toString();
    }

    private static void meta(StringBuilder x, String n, String v) {
        if (v == null) return;
        x.append("<n0:").append(n).append('>').append(Xml.text(v)).append("</n0:").append(n).append('>');
    }
}
