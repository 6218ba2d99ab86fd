package org.chis.simulators.openmrs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.chis.common.json.Json;
import org.chis.common.systems.openmrs.OpenMrsDates;

/**
 * Programs, program enrollments and cohorts of the simulated OpenMRS, shaped as the REST module answers them:
 * {@code programenrollment} (ProgramEnrollmentResource: search {@code ?patient=}, voided ones left out, an unknown
 * patient an empty result) and {@code cohort/{uuid}/membership} (CohortMembershipResource2_1, OpenMRS 2.1+:
 * {@code uuid, display, startDate, endDate, patientUuid}, paged like every collection). Guarded by the simulator's lock.
 */
final class ProgramsAndCohorts {
    static final class Enrollment {
        String uuid, patient, program, location;
        LocalDate enrolled, completed;
        boolean voided;
    }

    static final class Membership {
        String uuid, patient;
        LocalDate start, end;
    }

    static final class Cohort {
        String uuid, name;
        final List<Membership> members = new ArrayList<>();
    }

    final Map<String, String> programs = new LinkedHashMap<>();
    final Map<String, Enrollment> enrollments = new LinkedHashMap<>();
    final Map<String, Cohort> cohorts = new LinkedHashMap<>();

    void clear() {
        programs.clear();
        enrollments.clear();
        cohorts.clear();
    }

    Enrollment enroll(String patient, String program, LocalDate enrolled, LocalDate completed, String location) {
        if (!programs.containsKey(program)) throw OpenMrsState.invalid(Map.of("program", "Invalid program"));
        Enrollment e = new Enrollment();
        e.uuid = UUID.randomUUID().toString();
        e.patient = patient;
        e.program = program;
        e.enrolled = enrolled;
        e.completed = completed;
        e.location = location;
        enrollments.put(e.uuid, e);
        return e;
    }

    Cohort cohort(String uuid) {
        Cohort c = cohorts.get(uuid);
        if (c == null) throw OpenMrsState.notFound();
        return c;
    }

    List<Enrollment> enrollmentsOf(String patient) {
        return enrollments.values().stream().filter(e -> e.patient.equals(patient) && !e.voided).toList();
    }

    ObjectNode enrollmentRep(OpenMrsState state, Enrollment e, String base) {
        OpenMrsState.Person p = state.persons.get(e.patient);
        ObjectNode r = Json.object();
        r.put("uuid", e.uuid);
        r.put("display", programs.get(e.program));
        r.set("patient", state.ref("patient", e.patient, p == null ? "" : p.display(), base));
        r.set("program", state.ref("program", e.program, programs.get(e.program), base));
        r.put("dateEnrolled", date(e.enrolled));
        if (e.completed == null) r.putNull("dateCompleted");
        else r.put("dateCompleted", date(e.completed));
        if (e.location == null) r.putNull("location");
        else r.set("location", state.metaRef("location", e.location, base));
        r.put("voided", e.voided);
        r.putNull("outcome");
        r.putArray("states");
        r.putArray("links").addObject().put("rel", "self").put("uri", base + "/ws/rest/v1/programenrollment/" + e.uuid);
        return r;
    }

    ObjectNode programRep(OpenMrsState state, String uuid, String base) {
        ObjectNode r = state.ref("program", uuid, programs.get(uuid), base);
        r.put("name", programs.get(uuid));
        r.put("retired", false);
        return r;
    }

    ObjectNode cohortRep(OpenMrsState state, Cohort c, String base) {
        ObjectNode r = state.ref("cohort", c.uuid, c.name, base);
        r.put("name", c.name);
        r.put("description", c.name);
        r.put("voided", false);
        r.put("size", c.members.size());
        return r;
    }

    JsonNode membershipRep(Cohort c, Membership m, String base) {
        ObjectNode r = Json.object();
        r.put("uuid", m.uuid);
        r.put("display", "Patient in cohort (see link with rel=patient)");
        r.put("startDate", date(m.start));
        if (m.end == null) r.putNull("endDate");
        else r.put("endDate", date(m.end));
        r.put("patientUuid", m.patient);
        var links = r.putArray("links");
        links.addObject().put("rel", "self").put("uri", base + "/ws/rest/v1/cohort/" + c.uuid + "/membership/" + m.uuid);
        links.addObject().put("rel", "patient").put("uri", base + "/ws/rest/v1/patient/" + m.patient);
        return r;
    }

    private static String date(LocalDate d) { return OpenMrsDates.format(d.atStartOfDay().atOffset(ZoneOffset.UTC)); }
}
