package org.chis.mediator.smscodecard.reply;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The short reference every reply carries (6 characters, no 0/O/1/I to misread): derived from the message uuid,
 * so a rerun of the same message names the same reference and a worker can quote it to UNDO or to a supervisor.
 */
public final class Reference {
    private static final char[] ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ".toCharArray();
    public static final int LENGTH = 6;

    private Reference() {}

    public static String of(String messageUuid) {
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-256").digest(messageUuid.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long bits = 0;
        for (int i = 0; i < 5; i++) bits = (bits << 8) | (h[i] & 0xff);
        char[] out = new char[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            out[i] = ALPHABET[(int) (bits & 31)];
            bits >>>= 5;
        }
        return new String(out);
    }
}
