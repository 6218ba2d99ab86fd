package org.chis.common.systems.dhis2;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.regex.Pattern;

/**
 * DHIS2 identifiers: 11 characters, a letter first, then letters or digits. Derived deterministically from a
 * source id so that sending the same CommCare case or form again addresses the same DHIS2 object (an update,
 * never a second copy), even if our own state were lost.
 */
public final class Dhis2Uid {
    private static final Pattern FORMAT = Pattern.compile("[a-zA-Z][a-zA-Z0-9]{10}");
    private static final char[] LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".toCharArray();
    private static final char[] ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".toCharArray();

    private Dhis2Uid() {}

    public static boolean isValid(String uid) { return uid != null && FORMAT.matcher(uid).matches(); }

    /**
     * The UID for {@code sourceId} of a given kind ("trackedEntity", "enrollment", "event"): the kind is part of
     * the seed so a case id never yields the same UID for its tracked entity and its enrollment.
     */
    public static String derive(String kind, String sourceId) {
        if (sourceId == null || sourceId.isBlank()) throw new IllegalArgumentException("a source id is needed to derive a DHIS2 UID");
        byte[] d = sha256(kind + "\u0000" + sourceId);
        char[] uid = new char[11];
        uid[0] = LETTERS[Byte.toUnsignedInt(d[0]) % LETTERS.length];
        for (int i = 1; i < 11; i++) {
            // two digest bytes per character keep the modulo bias negligible
            int n = (Byte.toUnsignedInt(d[2 * i]) << 8) | Byte.toUnsignedInt(d[2 * i + 1]);
            uid[i] = ALPHANUMERIC[n % ALPHANUMERIC.length];
        }
        return new String(uid);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
