package org.chis.mediator.dhis2;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.chis.common.config.JsonConfigReader.Node;
import org.chis.common.systems.dhis2.DataValue;
import org.chis.common.systems.dhis2.Dhis2Uid;
import org.chis.common.systems.dhis2.Period;
import org.chis.common.systems.dhis2.PeriodType;

/**
 * How one report's rows become DHIS2 data values (one file per report in {@code mediator-configs/dhis2/datasets/}):
 * the data set, the period type, which row column holds the location and how locations map to org unit UIDs, and
 * which columns are values of which data element / category option combo. See the README for the file format.
 */
public record DataSetMap(String report, String dataSet, PeriodType periodType, String attributeOptionCombo,
                         String orgUnitColumn, String periodColumn, String dateColumn, List<String> reportDateFields,
                         Map<String, String> orgUnits, Map<String, Column> columns) {

    /** One value column: the data element and category option combo it is reported as. */
    public record Column(String dataElement, String categoryOptionCombo) {}

    /** A row that cannot be turned into data values; the message says which row and why. */
    public static final class RowProblem extends Exception {
        public RowProblem(String message) { super(message, null, false, false); }
    }

    /** The map at {@code j}, or null when its file has problems (all recorded with the reader). */
    static DataSetMap read(Node j) {
        if (!j.requireObject("a data set map must be a JSON object")) return null;
        String report = j.string("report");
        String dataSet = uid(j, "dataSet", true);
        PeriodType type = null;
        String periodType = j.string("periodType");
        if (periodType != null) {
            try {
                type = PeriodType.parse(periodType);
            } catch (IllegalArgumentException e) {
                j.problem("periodType", e.getMessage());
            }
        }
        String aoc = uid(j, "attributeOptionCombo", false);
        Map<String, String> orgUnits = new LinkedHashMap<>();
        Node ous = j.at("orgUnits");
        j.members("orgUnits").keySet().forEach(location -> {
            String ou = uid(ous, location, true);
            if (ou != null) orgUnits.put(location, ou);
        });
        Map<String, Column> columns = new LinkedHashMap<>();
        Node dvs = j.at("dataValues");
        j.members("dataValues").forEach((column, c) -> {
            String de;
            String coc = null;
            if (c.json().isTextual()) {
                de = uid(dvs, column, true);
            } else {
                de = uid(c, "dataElement", true);
                coc = uid(c, "categoryOptionCombo", false);
            }
            columns.put(column, new Column(de, coc));
        });
        if (columns.isEmpty()) j.problem("dataValues", "is empty: map at least one column to a data element");
        String orgUnitColumn = j.string("orgUnitColumn", "location");
        String periodColumn = j.string("periodColumn", null);
        String dateColumn = j.string("dateColumn", null);
        List<String> reportDateFields = j.strings("reportDateFields");
        for (String f : reportDateFields) {
            if (List.of("report", "period", "date", "rows").contains(f)) j.problem("reportDateFields", "'" + f + "' is a report field of its own, not a date field");
        }
        if (!j.clean()) return null;
        return new DataSetMap(report, dataSet, type, aoc, orgUnitColumn, periodColumn, dateColumn, reportDateFields, Map.copyOf(orgUnits), columns);
    }

    /** A DHIS2 UID field (11 characters, a letter first). */
    static String uid(Node n, String field, boolean required) {
        return n.checked(field, required, Dhis2Uid::isValid, "a DHIS2 UID (11 characters, a letter first)");
    }

    /**
     * The period a row reports on: the row's period column (a DHIS2 period id of this map's type), else the row's
     * date column (the period containing it), else the report-level period; null when none is given.
     */
    Period periodOf(Map<String, String> row, Period reportPeriod, long rowNumber) throws RowProblem {
        String id = periodColumn == null ? null : blankToNull(row.get(periodColumn));
        if (id != null) {
            Period p;
            try {
                p = Period.parse(id);
            } catch (IllegalArgumentException e) {
                throw new RowProblem("row " + rowNumber + ": " + e.getMessage());
            }
            if (p.type() != periodType) {
                throw new RowProblem("row " + rowNumber + ": period '" + id + "' is " + p.type().name().toLowerCase(Locale.ROOT) + ", data set " + dataSet
                        + " reports " + periodType.name().toLowerCase(Locale.ROOT));
            }
            return p;
        }
        String date = dateColumn == null ? null : blankToNull(row.get(dateColumn));
        if (date != null) {
            try {
                return periodType.periodOf(LocalDate.parse(date.length() > 10 ? date.substring(0, 10) : date));
            } catch (DateTimeParseException e) {
                throw new RowProblem("row " + rowNumber + ": " + dateColumn + " '" + date + "' is not a date (yyyy-MM-dd)");
            }
        }
        if (reportPeriod == null) {
            throw new RowProblem("row " + rowNumber + ": no period: give the report a 'period' or 'date'"
                    + (reportDateFields.isEmpty() ? "" : " or one of " + reportDateFields) + ", or the row a "
                    + (periodColumn != null ? "'" + periodColumn + "'" : dateColumn != null ? "'" + dateColumn + "'" : "period"));
        }
        return reportPeriod;
    }

    /** The data values of one row; blank cells are no data and give no value. */
    List<DataValue> values(Map<String, String> row, Period reportPeriod, long rowNumber) throws RowProblem {
        String location = blankToNull(row.get(orgUnitColumn));
        if (location == null) throw new RowProblem("row " + rowNumber + ": no '" + orgUnitColumn + "'");
        String orgUnit = orgUnits.get(location);
        if (orgUnit == null) {
            if (orgUnits.isEmpty() && Dhis2Uid.isValid(location)) orgUnit = location; // no map: the rows carry UIDs
            else throw new RowProblem("row " + rowNumber + ": location '" + location + "' has no org unit in the map of report " + report);
        }
        String period = periodOf(row, reportPeriod, rowNumber).id();
        List<DataValue> out = new ArrayList<>(columns.size());
        for (var c : columns.entrySet()) {
            String v = blankToNull(row.get(c.getKey()));
            if (v == null) continue;
            out.add(new DataValue(c.getValue().dataElement(), period, orgUnit, c.getValue().categoryOptionCombo(), null, v, null));
        }
        return out;
    }

    /**
     * A report-level period: an explicit DHIS2 period id, else a date in it, else the period of the first of the
     * map's {@code reportDateFields} the report has (its own date field, or {@code received_on}: the period is then
     * computed from the data and the map's period type); null when none applies.
     */
    Period reportPeriod(String period, String date, Map<String, String> fields) {
        if (period != null) {
            Period p = Period.parse(period);
            if (p.type() != periodType) {
                throw new IllegalArgumentException("period '" + period + "' is " + p.type().name().toLowerCase(Locale.ROOT) + ", report " + report
                        + " is " + periodType.name().toLowerCase(Locale.ROOT));
            }
            return p;
        }
        if (date != null) return periodOfDate("date", date);
        for (String f : reportDateFields) {
            String v = blankToNull(fields.get(f));
            if (v != null) return periodOfDate(f, v);
        }
        return null;
    }

    /**
     * The period of this map's type holding the date {@code value} ({@code 2026-12-06}, or a date-time whose date
     * part is taken as written: {@code 2026-12-31T23:30:00Z} is 31 December).
     */
    private Period periodOfDate(String field, String value) {
        try {
            return periodType.periodOf(LocalDate.parse(value.length() > 10 ? value.substring(0, 10) : value));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(field + " '" + value + "' is not a date (yyyy-MM-dd)");
        }
    }

    private static String blankToNull(String s) { return s == null || s.isBlank() ? null : s.trim(); }
}
