package org.chis.common.systems.commcare;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A case block (CommCare case XML v2) for a form submission: create, update, index, close. Property names must
 * be XML names (HQ rejects others); values are text. {@code external_id} travels in the update block, as HQ writes it.
 */
public final class CaseBlock {
    public static final String CASE_XMLNS = "http://commcarehq.org/case/transaction/v2";
    private static final Pattern XML_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-]*");

    private final String caseId;
    private String userId;
    private Instant dateModified;
    private String createType;
    private String createName;
    private String createOwner;
    private final Map<String, String> update = new LinkedHashMap<>();
    private final Map<String, String[]> indices = new LinkedHashMap<>();
    private boolean close;

    private CaseBlock(String caseId) {
        if (caseId == null || caseId.isBlank()) throw new IllegalArgumentException("a case block needs a case id");
        this.caseId = caseId;
    }

    public static CaseBlock of(String caseId) { return new CaseBlock(caseId); }

    public String caseId() { return caseId; }

    public CaseBlock userId(String id) { this.userId = id; return this; }

    public CaseBlock dateModified(Instant t) { this.dateModified = t; return this; }

    /** Creates the case (HQ requires type, name and owner on create). */
    public CaseBlock create(String caseType, String caseName, String ownerId) {
        this.createType = caseType;
        this.createName = caseName;
        this.createOwner = ownerId;
        return this;
    }

    public boolean creates() { return createType != null; }

    public CaseBlock externalId(String externalId) { return set("external_id", externalId); }

    /** Sets a case property (null value = blank it). */
    public CaseBlock set(String property, String value) {
        if (!XML_NAME.matcher(property).matches()) {
            throw new IllegalArgumentException("case property name '" + property + "' is not an XML name (letters, digits, _ . -)");
        }
        update.put(property, value == null ? "" : value);
        return this;
    }

    public CaseBlock setAll(Map<String, String> properties) {
        properties.forEach(this::set);
        return this;
    }

    public Map<String, String> updates() { return Map.copyOf(update); }

    /** An index (parent/host link); relationship "child" or "extension". */
    public CaseBlock index(String name, String caseType, String referencedCaseId, String relationship) {
        if (!XML_NAME.matcher(name).matches()) throw new IllegalArgumentException("index name '" + name + "' is not an XML name");
        indices.put(name, new String[] {caseType, referencedCaseId, relationship == null ? "child" : relationship});
        return this;
    }

    public CaseBlock close() { this.close = true; return this; }

    /** The {@code <case>} element (namespace declared on it, so it can sit in any form). */
    public String toXml() {
        StringBuilder x = new StringBuilder();
        x.append("<case xmlns=\"").append(CASE_XMLNS).append("\" case_id=\"").append(Xml.attr(caseId)).append('"');
        Instant when = dateModified == null ? Instant.now() : dateModified;
        x.append(" date_modified=\"").append(when.truncatedTo(ChronoUnit.MILLIS)).append('"');
        if (userId != null) x.append(" user_id=\"").append(Xml.attr(userId)).append('"');
        x.append('>');
        if (createType != null) {
            x.append("<create><case_type>").append(Xml.text(createType)).append("</case_type><case_name>")
                    .append(Xml.text(createName)).append("</case_name><owner_id>").append(Xml.text(createOwner)).append("</owner_id></create>");
        }
        if (!update.isEmpty()) {
            x.append("<update>");
            update.forEach((k, v) -> x.append('<').append(k).append('>').append(Xml.text(v)).append("</").append(k).append('>'));
            x.append("</update>");
        }
        if (!indices.isEmpty()) {
            x.append("<index>");
            indices.forEach((k, v) -> x.append('<').append(k).append(" case_type=\"").append(Xml.attr(v[0]))
                    .append("\" relationship=\"").append(Xml.attr(v[2])).append("\">").append(Xml.text(v[1])).append("</").append(k).append('>'));
            x.append("</index>");
        }
        if (close) x.append("<close/>");
        x.append("</case>");
        return x.toString();
    }
}
