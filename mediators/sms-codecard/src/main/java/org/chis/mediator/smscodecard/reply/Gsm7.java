package org.chis.mediator.smscodecard.reply;

import java.text.Normalizer;

/**
 * The GSM 03.38 default alphabet: replies use only it, so every phone shows them and one SMS holds 160
 * characters (a single other character switches the whole message to UCS-2 and 70 characters).
 */
public final class Gsm7 {
    public static final int SINGLE_SMS = 160;
    private static final String BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
            + "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    /** Sent as escape + character: two septets each. */
    private static final String EXTENSION = "^{}\\[~]|€\f";

    private Gsm7() {}

    public static boolean isGsm7(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (BASIC.indexOf(c) < 0 && EXTENSION.indexOf(c) < 0) return false;
        }
        return true;
    }

    /** Length in septets (extension characters count twice): what must stay within {@link #SINGLE_SMS}. */
    public static int septets(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) n += EXTENSION.indexOf(s.charAt(i)) >= 0 ? 2 : 1;
        return n;
    }

    /**
     * Makes text GSM-7: accents the alphabet lacks are dropped (ê -> e), typographic quotes and dashes become
     * plain ones, anything else (emoji, other scripts) becomes '?'. Used on what the worker wrote before it is echoed.
     */
    public static String fold(String s) {
        if (s == null) return "";
        if (isGsm7(s)) return s;
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (cp < 0x10000 && (BASIC.indexOf(cp) >= 0 || EXTENSION.indexOf(cp) >= 0)) {
                out.append((char) cp);
                return;
            }
            switch (cp) {
                case '\u2018', '\u2019', '\u201b', '\u00b4', '`' -> out.append('\'');
                case '\u201c', '\u201d', '\u00ab', '\u00bb' -> out.append('"');
                case '\u2013', '\u2014', '\u2212' -> out.append('-');
                case '\u2026' -> out.append("...");
                case '\t', '\u00a0' -> out.append(' ');
                default -> {
                    String base = Normalizer.normalize(new String(Character.toChars(cp)), Normalizer.Form.NFD).replaceAll("\\p{M}+", "");
                    if (!base.isEmpty() && isGsm7(base)) out.append(base);
                    else out.append('?');
                }
            }
        });
        return out.toString();
    }

    /** Cuts to at most {@code max} septets. */
    public static String cut(String s, int max) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            n += EXTENSION.indexOf(s.charAt(i)) >= 0 ? 2 : 1;
            if (n > max) return s.substring(0, i);
        }
        return s;
    }
}
