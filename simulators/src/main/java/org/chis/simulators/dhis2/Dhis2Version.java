package org.chis.simulators.dhis2;

/** The DHIS2 release being played; the answer shapes differ between releases. */
record Dhis2Version(String text, int minor) {
    static Dhis2Version of(String text) {
        String[] parts = text.split("\\.");
        if (parts.length < 2 || !parts[0].equals("2")) throw new IllegalArgumentException("DHIS2 version like 2.40.4 expected, got " + text);
        return new Dhis2Version(text, Integer.parseInt(parts[1]));
    }

    /** 2.38+: import summaries come wrapped in a WebMessage and conflicts turn the status into 409. */
    boolean wrapsImportSummary() { return minor >= 38; }

    /** 2.41+: exports page with a {@code pager} object and name their list after the resource. */
    boolean pagerObject() { return minor >= 41; }
}
