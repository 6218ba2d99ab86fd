package org.chis.common.systems.dhis2;

/**
 * One aggregate data value as {@code /api/dataValueSets} takes it. Period, org unit and attribute option combo
 * may be null when the enclosing set carries them at the top level.
 */
public record DataValue(String dataElement, String period, String orgUnit, String categoryOptionCombo,
                        String attributeOptionCombo, String value, String comment) {}
