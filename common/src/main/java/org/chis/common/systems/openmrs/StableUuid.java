package org.chis.common.systems.openmrs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * Deterministic, client-chosen uuids (name-based, RFC 4122 version 3) from a source key and an entity role,
 * e.g. {@code StableUuid.of("form", formId, "encounter")}. OpenMRS accepts a {@code uuid} in POST bodies, so a
 * rerun computes the same uuid, finds its earlier write and never creates a second copy; and an entry in the
 * OpenMRS feed can be recognised as our own write.
 */
public final class StableUuid {
    private static final String NAMESPACE = "org.chis/";
    /**
     * Cloned per uuid: {@link UUID#nameUUIDFromBytes} looks MD5 up among the security providers each time (a form
     * derives about ten uuids), a clone of a fresh digest is a small copy.
     */
    private static final MessageDigest MD5;
    static {
        try {
            MD5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new InternalError("MD5 not supported", e);
        }
    }

    private StableUuid() {}

    public static String of(String... parts) {
        byte[] md5 = digest().digest((NAMESPACE + String.join("\u001f", parts)).getBytes(StandardCharsets.UTF_8));
        // as UUID.nameUUIDFromBytes: version 3, IETF variant
        md5[6] = (byte) ((md5[6] & 0x0f) | 0x30);
        md5[8] = (byte) ((md5[8] & 0x3f) | 0x80);
        ByteBuffer b = ByteBuffer.wrap(md5);
        return new UUID(b.getLong(), b.getLong()).toString();
    }

    private static MessageDigest digest() {
        try {
            return (MessageDigest) MD5.clone();
        } catch (CloneNotSupportedException e) {
            try {
                return MessageDigest.getInstance("MD5");
            } catch (NoSuchAlgorithmException never) {
                throw new InternalError("MD5 not supported", never);
            }
        }
    }
}
