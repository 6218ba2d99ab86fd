package org.chis.mediator.commcareopenmrs.forms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.chis.common.http.BadInputException;
import org.chis.common.systems.openmrs.NewPatient;
import org.chis.common.systems.openmrs.OpenMrsDates;
import org.chis.mediator.commcareopenmrs.forms.FormMapping.DataType;

/**
 * A submission's values read through its mapping and converted to what OpenMRS takes. Reading checks everything
 * first: a missing required value or one that does not convert is the sender's mistake (400, every problem listed),
 * found before anything is written.
 */
record FormValues(String caseId, List<NewPatient.Identifier> identifiers, List<NewPatient.Identifier> matchIdentifiers,
                  NewPatient.Name name, String gender, LocalDate birthdate, List<NewPatient.Attribute> attributes,
                  OffsetDateTime encounterDatetime, String location, String provider, List<ObsValue> observations) {

    /** Between the answers of a multi-select; compiled once (String.split compiles a regex of more than one char per call). */
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    /** One observation to write: concept and the value as OpenMRS wants it (number, text, boolean, answer uuid, date). */
    record ObsValue(String concept, JsonNode value, DataType dataType) {}

    static FormValues read(FormMapping m, Submission s) {
        List<String> problems = new ArrayList<>();
        JsonNode doc = s.doc();
        String caseId = m.caseId() == null ? (s.caseCreate() == null ? null : s.caseCreate().caseId()) : value(m.caseId(), doc, "caseId", problems);
        FormMapping.PatientFields p = m.patient();
        List<NewPatient.Identifier> ids = new ArrayList<>();
        List<NewPatient.Identifier> matchIds = new ArrayList<>();
        for (FormMapping.Identifier i : p.identifiers()) {
            String v = value(i.value(), doc, "identifier " + i.identifierType(), problems);
            if (v == null) continue;
            NewPatient.Identifier id = new NewPatient.Identifier(v, i.identifierType(), i.location());
            ids.add(id);
            if (i.matchOn()) matchIds.add(id);
        }
        String given = value(p.givenName(), doc, "givenName", problems);
        String middle = value(p.middleName(), doc, "middleName", problems);
        String family = value(p.familyName(), doc, "familyName", problems);
        String gender = value(p.gender(), doc, "gender", problems);
        if (gender != null) {
            gender = gender.toUpperCase(Locale.ROOT);
            if (!List.of("M", "F", "O", "U").contains(gender)) {
                problems.add("gender: '" + p.gender().raw(doc) + "' is not M, F, O or U (add a valueMap to the mapping)");
            }
        }
        LocalDate birthdate = null;
        String b = value(p.birthdate(), doc, "birthdate", problems);
        if (b != null) {
            try {
                birthdate = OpenMrsDates.datePart(b);
                if (birthdate.isAfter(LocalDate.now())) problems.add("birthdate: " + b + " is in the future");
            } catch (IllegalArgumentException e) {
                problems.add("birthdate: " + e.getMessage());
            }
        }
        List<NewPatient.Attribute> attrs = new ArrayList<>();
        for (FormMapping.Attribute a : p.attributes()) {
            String v = value(a.value(), doc, "attribute " + a.attributeType(), problems);
            if (v != null) attrs.add(new NewPatient.Attribute(a.attributeType(), v));
        }

        FormMapping.EncounterFields e = m.encounter();
        OffsetDateTime when = null;
        String w = value(e.datetime(), doc, "encounter datetime " + e.datetime().describe(), problems);
        if (w == null && !e.datetime().required()) problems.add("encounter datetime " + e.datetime().describe() + " is missing");
        if (w != null) {
            try {
                ZoneId read = e.datetime().zoneOr(e.timeZone());
                when = e.datetimeType() == DataType.DATE
                        ? localDate(w, read, e.timeZone()).atStartOfDay(e.timeZone()).toOffsetDateTime()
                        : inZone(w, read, e.timeZone());
                if (when.isAfter(OffsetDateTime.now().plusMinutes(1))) problems.add("encounter datetime " + w + " is in the future");
            } catch (IllegalArgumentException ex) {
                problems.add("encounter datetime: " + ex.getMessage());
            }
        }
        String location = value(e.location(), doc, "location", problems);
        if (location == null && e.location().constant() == null) problems.add("location: no value (or not in the valueMap) at " + e.location().describe());
        String provider = e.provider() == null ? null : value(e.provider(), doc, "provider", problems);

        List<ObsValue> obs = new ArrayList<>();
        for (FormMapping.Observation o : m.observations()) {
            String raw = o.value().raw(doc);
            String what = "observation " + o.concept() + " " + o.value().describe();
            if (o.dataType() == DataType.CODED) {
                // a multi-select answer ("fever cough") is mapped answer by answer, not as one string
                if (raw == null && o.value().required()) problems.add(what + " is missing");
                if (raw != null) convert(o, raw, raw, e.timeZone(), obs, problems);
                continue;
            }
            String v = value(o.value(), doc, what, problems);
            if (v == null) continue; // blank answers and answers the value map leaves out are not sent
            convert(o, raw, v, e.timeZone(), obs, problems);
        }
        if (!problems.isEmpty()) {
            throw new BadInputException("form " + s.key() + " (" + m.file() + "): " + String.join("; ", problems));
        }
        NewPatient.Name name = given == null && family == null ? null : new NewPatient.Name(given, middle, family);
        return new FormValues(caseId, ids, matchIds, name, gender, birthdate, attrs, when, location, provider, obs);
    }

    private static void convert(FormMapping.Observation o, String raw, String v, ZoneId zone, List<ObsValue> out, List<String> problems) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        String where = "observation " + o.concept() + " ('" + raw + "')";
        switch (o.dataType()) {
            case NUMERIC -> {
                try {
                    out.add(new ObsValue(o.concept(), f.numberNode(new BigDecimal(v)), o.dataType()));
                } catch (NumberFormatException e) {
                    problems.add(where + ": not a number");
                }
            }
            case CODED -> {
                // a multi-select answer is one obs per selected answer
                int before = out.size();
                for (String part : WHITESPACE.split(raw)) {
                    String answer = o.value().valueMap().isEmpty() ? part : o.value().valueMap().get(part);
                    if (answer != null) out.add(new ObsValue(o.concept(), f.textNode(answer), o.dataType()));
                }
                if (out.size() == before && o.value().required()) problems.add(where + ": no answer is in the valueMap");
            }
            case BOOLEAN -> {
                String t = v.toLowerCase(Locale.ROOT);
                if (List.of("true", "yes", "1").contains(t)) out.add(new ObsValue(o.concept(), f.booleanNode(true), o.dataType()));
                else if (List.of("false", "no", "0").contains(t)) out.add(new ObsValue(o.concept(), f.booleanNode(false), o.dataType()));
                else problems.add(where + ": not a yes/no value");
            }
            case DATE -> {
                try {
                    out.add(new ObsValue(o.concept(), f.textNode(OpenMrsDates.datePart(v).toString()), o.dataType()));
                } catch (IllegalArgumentException e) {
                    problems.add(where + ": " + e.getMessage());
                }
            }
            case DATETIME -> {
                try {
                    out.add(new ObsValue(o.concept(), f.textNode(OpenMrsDates.format(inZone(v, o.value().zoneOr(zone), zone))), o.dataType()));
                } catch (IllegalArgumentException e) {
                    problems.add(where + ": " + e.getMessage());
                }
            }
            case TEXT -> out.add(new ObsValue(o.concept(), f.textNode(v), o.dataType()));
        }
    }

    /**
     * A date-time read in {@code read} when it has no zone, then told in the mapping's zone: the same instant, written
     * as the facility's clock shows it (HQ's UTC {@code metadata/timeEnd} 20:00:39 -> 23:00:39+0300 in Nairobi).
     */
    static OffsetDateTime inZone(String text, ZoneId read, ZoneId zone) {
        return OpenMrsDates.parse(text, read).atZoneSameInstant(zone).toOffsetDateTime();
    }

    /** The day of a value in the mapping's zone; a bare date is that day as written. */
    private static LocalDate localDate(String text, ZoneId read, ZoneId zone) {
        return text.contains("T") ? inZone(text, read, zone).toLocalDate() : OpenMrsDates.datePart(text);
    }

    private static String value(ValueSource src, JsonNode doc, String what, List<String> problems) {
        if (src == null) return null;
        String v = src.value(doc);
        if (v == null && src.required()) {
            String raw = src.raw(doc);
            problems.add(what + (raw == null ? " is missing" : ": '" + raw + "' is not in the valueMap"));
        }
        return v;
    }
}
