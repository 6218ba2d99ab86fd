package org.chis.common.systems.commcare;

/** XML escaping for the few documents we write by hand (case blocks, form submissions). */
final class Xml {
    private Xml() {}

    static String text(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                default -> {
                    // characters XML 1.0 cannot carry at all are dropped rather than producing a document HQ rejects
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') continue;
                    b.append(c);
                }
            }
        }
        return b.toString();
    }

    static String attr(String s) { return text(s).replace("\"", "&quot;"); }
}
