package org.chis.mediator.smscodecard.card;

import java.util.Locale;

/**
 * Check-digit schemes for identifiers typed on a phone. {@code luhn-mod30} is the one OpenMRS uses for
 * "OpenMRS ID" (idgen's LuhnMod30 validator: base characters without I, O, B, Q, S, Z); {@code luhn} is
 * plain Luhn mod 10 on digits; {@code verhoeff} catches every single-digit error and adjacent swap.
 */
public enum CheckDigit {
    NONE(null),
    LUHN("0123456789"),
    LUHN_MOD30("0123456789ACDEFGHJKLMNPRTUVWXY"),
    VERHOEFF("0123456789");

    private static final int[][] D = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
        {3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
        {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
        {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
    private static final int[][] P = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
        {8, 9, 1, 6, 0, 4, 3, 5, 7, 2}, {9, 4, 5, 3, 1, 2, 8, 7, 6, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
        {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}};
    private static final int[] INV = {0, 4, 3, 2, 1, 5, 6, 7, 8, 9};

    private final String alphabet;

    CheckDigit(String alphabet) { this.alphabet = alphabet; }

    public static CheckDigit parse(String s) {
        if (s == null || s.isBlank()) return NONE;
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    public String jsonName() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    /** The characters an identifier under this scheme may contain (null: any letter or digit). */
    public String alphabet() { return alphabet; }

    /** True when the last character is the right check character for the rest. */
    public boolean valid(String id) {
        if (this == NONE) return true;
        if (id.length() < 2) return false;
        for (int i = 0; i < id.length(); i++) if (alphabet.indexOf(id.charAt(i)) < 0) return false;
        String body = id.substring(0, id.length() - 1);
        return compute(body) == id.charAt(id.length() - 1);
    }

    /** The check character for {@code body} (used by tests and fixtures to make valid ids). */
    public char compute(String body) {
        return switch (this) {
            case NONE -> throw new IllegalStateException("no check digit");
            case VERHOEFF -> verhoeff(body);
            default -> luhnModN(body);
        };
    }

    private char luhnModN(String body) {
        int n = alphabet.length();
        int factor = 2;
        int sum = 0;
        for (int i = body.length() - 1; i >= 0; i--) {
            int addend = factor * alphabet.indexOf(body.charAt(i));
            factor = factor == 2 ? 1 : 2;
            sum += addend / n + addend % n;
        }
        return alphabet.charAt((n - sum % n) % n);
    }

    private static char verhoeff(String body) {
        int c = 0;
        for (int i = 0; i < body.length(); i++) {
            int digit = body.charAt(body.length() - 1 - i) - '0';
            c = D[c][P[(i + 1) % 8][digit]];
        }
        return (char) ('0' + INV[c]);
    }
}
