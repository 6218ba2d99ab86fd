package org.chis.simulators.dhis2;

import java.time.LocalDate;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The metadata the simulated DHIS2 knows. Imports that reference anything else get the conflicts and
 * validation errors a real server gives. Seeded with ids from the DHIS2 Sierra Leone demo database so
 * payloads look familiar; tests add their own.
 */
public final class Dhis2Metadata {
    /** The default category option combo / attribute option combo of every DHIS2 instance. */
    public static final String DEFAULT_COMBO = "HllvX50cXC0";

    public enum ValueType { NUMBER, INTEGER, INTEGER_ZERO_OR_POSITIVE, TEXT, BOOLEAN, TRUE_ONLY, DATE }

    /**
     * A program; {@code withoutRegistration} = DHIS2's programType WITHOUT_REGISTRATION (an event program: events
     * carry no tracked entity or enrollment, and an enrollment into it is refused with E1014).
     */
    public record Program(String uid, String trackedEntityType, boolean onlyEnrollOnce, boolean withoutRegistration) {
        public Program(String uid, String trackedEntityType, boolean onlyEnrollOnce) { this(uid, trackedEntityType, onlyEnrollOnce, false); }

        /** An event program (WITHOUT_REGISTRATION). */
        public static Program events(String uid) { return new Program(uid, null, false, true); }
    }

    public record ProgramStage(String uid, String program, boolean repeatable) {}

    public record Attribute(String uid, ValueType valueType, boolean unique) {}

    final Map<String, String> orgUnits = new ConcurrentHashMap<>();
    final Map<String, String> parents = new ConcurrentHashMap<>();
    final Map<String, ValueType> dataElements = new ConcurrentHashMap<>();
    final Set<String> categoryOptionCombos = ConcurrentHashMap.newKeySet();
    final Set<String> attributeOptionCombos = ConcurrentHashMap.newKeySet();
    final Map<String, Set<String>> dataSets = new ConcurrentHashMap<>();
    final Set<String> trackedEntityTypes = ConcurrentHashMap.newKeySet();
    final Map<String, Attribute> attributes = new ConcurrentHashMap<>();
    final Map<String, Program> programs = new ConcurrentHashMap<>();
    final Map<String, ProgramStage> programStages = new ConcurrentHashMap<>();

    Dhis2Metadata() {
        seed();
    }

    void seed() {
        orgUnits.clear();
        parents.clear();
        dataElements.clear();
        categoryOptionCombos.clear();
        attributeOptionCombos.clear();
        dataSets.clear();
        trackedEntityTypes.clear();
        attributes.clear();
        programs.clear();
        programStages.clear();
        orgUnit("ImspTQPwCqd", "Sierra Leone", null).orgUnit("O6uvpzGd5pu", "Bo", "ImspTQPwCqd")
                .orgUnit("y77LiPqLMoq", "Badjia", "O6uvpzGd5pu").orgUnit("DiszpKrYNg8", "Ngelehun CHC", "y77LiPqLMoq")
                .orgUnit("g8upMTyEZGZ", "Njandama MCHP", "y77LiPqLMoq").orgUnit("Rp268JB6Ne4", "Adonkia CHP", "ImspTQPwCqd");
        categoryOptionCombos.addAll(Set.of(DEFAULT_COMBO, "Prlt0C1RF0s", "psbwp3CQEhs", "V6L425pT3A0", "hEFKSsPV5et"));
        attributeOptionCombos.add(DEFAULT_COMBO);
        // aggregate: ANC visits, immunisation doses, malaria
        dataElement("fbfJHSPpUQD", ValueType.INTEGER_ZERO_OR_POSITIVE).dataElement("cYeuwXTCPkU", ValueType.INTEGER_ZERO_OR_POSITIVE)
                .dataElement("Jtf34kNZhzP", ValueType.INTEGER_ZERO_OR_POSITIVE).dataElement("hfdmMSPBgLG", ValueType.INTEGER_ZERO_OR_POSITIVE)
                .dataElement("s46m5MS0hxu", ValueType.INTEGER_ZERO_OR_POSITIVE).dataElement("UOlfIjgN8X6", ValueType.INTEGER_ZERO_OR_POSITIVE)
                .dataElement("vI2csg55S9C", ValueType.INTEGER_ZERO_OR_POSITIVE).dataElement("x3Do5e7g4Qo", ValueType.TEXT);
        dataSet("QX4ZTUbOt3a", "fbfJHSPpUQD", "cYeuwXTCPkU", "Jtf34kNZhzP", "hfdmMSPBgLG", "x3Do5e7g4Qo");
        dataSet("BfMAe6Itzgt", "s46m5MS0hxu", "UOlfIjgN8X6", "vI2csg55S9C");
        // tracker: Child Programme, Person
        trackedEntityTypes.add("nEenWmSyUEp");
        attribute("w75KJ2mc4zz", ValueType.TEXT, false).attribute("zDhUuAYrxNC", ValueType.TEXT, false)
                .attribute("cejWyOfXge6", ValueType.TEXT, false).attribute("lZGmxYbs97q", ValueType.TEXT, true)
                .attribute("iESIqZ0R0R0", ValueType.DATE, false);
        program(new Program("IpHINAT79UW", "nEenWmSyUEp", true));
        programStage(new ProgramStage("A03MvHHogjR", "IpHINAT79UW", false));
        programStage(new ProgramStage("ZzYYXq4fJie", "IpHINAT79UW", true));
        // event program without registration: Inpatient morbidity and mortality (demo database ids)
        program(Program.events("eBAyeGv0exc"));
        programStage(new ProgramStage("Zj7UnCAulEk", "eBAyeGv0exc", true));
        dataElement("qrur9Dvnyt5", ValueType.INTEGER_ZERO_OR_POSITIVE).dataElement("oZg33kd9taw", ValueType.TEXT);
        dataElement("UXz7xuGCEhU", ValueType.NUMBER).dataElement("bx6fsa0t90x", ValueType.BOOLEAN)
                .dataElement("GQY2lXrypjO", ValueType.INTEGER_ZERO_OR_POSITIVE);
    }

    public Dhis2Metadata orgUnit(String uid, String name) { return orgUnit(uid, name, null); }

    /** An org unit under {@code parent} (null for a root): DESCENDANTS/CHILDREN export modes follow this tree. */
    public Dhis2Metadata orgUnit(String uid, String name, String parent) {
        orgUnits.put(uid, name);
        if (parent != null) parents.put(uid, parent);
        return this;
    }

    /** True when {@code orgUnit} is {@code ancestor} or lies below it. */
    boolean within(String orgUnit, String ancestor) {
        for (String o = orgUnit; o != null; o = parents.get(o)) if (o.equals(ancestor)) return true;
        return false;
    }

    public Dhis2Metadata dataElement(String uid, ValueType type) {
        dataElements.put(uid, type);
        return this;
    }

    public Dhis2Metadata categoryOptionCombo(String uid) {
        categoryOptionCombos.add(uid);
        return this;
    }

    public Dhis2Metadata attributeOptionCombo(String uid) {
        attributeOptionCombos.add(uid);
        return this;
    }

    public Dhis2Metadata dataSet(String uid, String... dataElementUids) {
        dataSets.put(uid, new LinkedHashSet<>(Set.of(dataElementUids)));
        return this;
    }

    public Dhis2Metadata trackedEntityType(String uid) {
        trackedEntityTypes.add(uid);
        return this;
    }

    public Dhis2Metadata attribute(String uid, ValueType type, boolean unique) {
        attributes.put(uid, new Attribute(uid, type, unique));
        return this;
    }

    public Dhis2Metadata program(Program p) {
        programs.put(p.uid(), p);
        return this;
    }

    public Dhis2Metadata programStage(ProgramStage s) {
        programStages.put(s.uid(), s);
        return this;
    }

    /** True when {@code value} is acceptable for {@code type} (DHIS2's value type validation, simplified). */
    static boolean fits(ValueType type, String value) {
        if (value == null) return true;
        try {
            return switch (type) {
                case NUMBER -> {
                    Double.parseDouble(value);
                    yield true;
                }
                case INTEGER -> {
                    Long.parseLong(value);
                    yield true;
                }
                case INTEGER_ZERO_OR_POSITIVE -> Long.parseLong(value) >= 0;
                case BOOLEAN -> value.equals("true") || value.equals("false");
                case TRUE_ONLY -> value.equals("true");
                case DATE -> {
                    LocalDate.parse(value.length() >= 10 ? value.substring(0, 10) : value);
                    yield true;
                }
                case TEXT -> value.length() <= 50_000;
            };
        } catch (RuntimeException e) {
            return false;
        }
    }
}
