package org.chis.mediator.dhis2;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chis.common.config.ConfigException;
import org.chis.common.json.Json;
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
                         String orgUnitColumn, String periodColumn, String dateColumn, Map<String, String> orgUnits,
                         Map<String, Column> columns) {

    /** One value column: the data element and category option combo it is reported as. */
    public record Column(String dataElement, String categoryOptionCombo) {}

    /** A row that cannot be turned into data values; the message says which row and why. */
    public static final class RowProblem extends Exception {
        public RowProblem(String message) { super(message, null, false, false); }
    }

    public static DataSetMap load(Path file) {
        JsonNode j;
        try {
            j = Json.parse(Files.readString(file));
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("data set map " + file + ": " + e.getMessage());
        }
        return fromJson(j, file.toString());
    }

    public static DataSetMap fromJson(JsonNode j, String where) {
        String report = required(j, "report", where);
        String dataSet = required(j, "dataSet", where);
        uid(dataSet, "dataSet", where);
        PeriodType type;
        try {
            type = PeriodType.parse(required(j, "periodType", where));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        }
        String aoc = j.path("attributeOptionCombo").asText(null);
        if (aoc != null) uid(aoc, "attributeOptionCombo", where);
        Map<String, String> orgUnits = new LinkedHashMap<>();
        j.path("orgUnits").fields().forEachRemaining(e -> {
            uid(e.getValue().asText(), "orgUnits." + e.getKey(), where);
            orgUnits.put(e.getKey(), e.getValue().asText());
        });
        Map<String, Column> columns = new LinkedHashMap<>();
        j.path("dataValues").fields().forEachRemaining(e -> {
            JsonNode c = e.getValue();
            String de = c.isTextual() ? c.asText() : c.path("dataElement").asText(null);
            if (de == null) throw new ConfigException(where + ": dataValues." + e.getKey() + " needs a dataElement");
            uid(de, "dataValues." + e.getKey() + ".dataElement", where);
            String coc = c.path("categoryOptionCombo").asText(null);
            if (coc != null) uid(coc, "dataValues." + e.getKey() + ".categoryOptionCombo", where);
            columns.put(e.getKey(), new Column(de, coc));
        });
        if (columns.isEmpty()) throw new ConfigException(where + ": dataValues is empty: map at least one column to a data element");
        return new DataSetMap(report, dataSet, type, aoc, j.path("orgUnitColumn").asText("location"),
                j.path("periodColumn").asText(null), j.path("dateColumn").asText(null), Map.copyOf(orgUnits), columns);
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
                throw new RowProblem("row " + rowNumber + ": period '" + id + "' is " + p.type().name().toLowerCase() + ", data set " + dataSet
                        + " reports " + periodType.name().toLowerCase());
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
            throw new RowProblem("row " + rowNumber + ": no period: give the report a 'period' or 'date', or the row a "
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

    /** A report-level period: an explicit DHIS2 period id, a date in it, or (neither) null. */
    Period reportPeriod(String period, String date) {
        if (period != null) {
            Period p = Period.parse(period);
            if (p.type() != periodType) {
                throw new IllegalArgumentException("period '" + period + "' is " + p.type().name().toLowerCase() + ", report " + report
                        + " is " + periodType.name().toLowerCase());
            }
            return p;
        }
        if (date != null) {
            try {
                return periodType.periodOf(LocalDate.parse(date.length() > 10 ? date.substring(0, 10) : date));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("date '" + date + "' is not a date (yyyy-MM-dd)");
            }
        }
        return null;
    }

    private static String blankToNull(String s) { return s == null || s.isBlank() ? null : s.trim(); }

    private static String required(JsonNode j, String field, String where) {
        String v = j.path(field).asText(null);
        if (v == null || v.isBlank()) throw new ConfigException(where + ": '" + field + "' is missing");
        return v;
    }

    private static void uid(String v, String field, String where) {
        if (!Dhis2Uid.isValid(v)) throw new ConfigException(where + ": " + field + " '" + v + "' is not a DHIS2 UID (11 characters, a letter first)");
    }
}
