package org.chis.mediator.smscodecard;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import org.chis.common.systems.openmrs.StableUuid;
import org.chis.mediator.smscodecard.card.CheckDigit;
import org.chis.mediator.smscodecard.card.CodeOption;
import org.chis.mediator.smscodecard.card.Registration;
import org.chis.mediator.smscodecard.parse.Age;
import org.chis.mediator.smscodecard.parse.Parsed;
import org.chis.mediator.smscodecard.parse.Value;

/**
 * The person a REG message registers, as both systems get it. The OpenMRS patient's uuid (also the OpenSRP
 * client's {@code baseEntityId}) is derived from the message uuid, so every attempt of the message names the same
 * client: a retry adopts what an earlier attempt made instead of making a second one.
 *
 * @param identifier the identifier the worker gave, else one derived from the message ({@code derived} true)
 * @param gender     OpenMRS's F/M (the sex code's {@code openmrsValue}, else the code)
 */
public record Registrant(Registration card, String identifier, boolean derived, String patientUuid, String given, String family,
                         String gender, LocalDate birthdate, boolean birthdateEstimated, String phone) {

    public static Registrant of(Parsed p, String messageUuid, LocalDate today) {
        Registration r = p.card().registration();
        Value id = r.identifierField() == null ? null : p.value(r.identifierField());
        String identifier = id == null ? derivedIdentifier(messageUuid) : (String) id.value();
        CodeOption sex = (CodeOption) p.value(r.sexField()).value();
        Object born = p.value(r.birthdateField()).value();
        LocalDate birthdate = born instanceof Age age ? age.birthdateOn(today) : (LocalDate) born;
        Value phone = r.phoneField() == null ? null : p.value(r.phoneField());
        return new Registrant(r, identifier, id == null, StableUuid.of("sms", messageUuid, "patient"),
                (String) p.value(r.givenField()).value(), (String) p.value(r.familyField()).value(),
                sex.openmrsValue() != null ? String.valueOf(sex.openmrsValue()) : sex.code(), birthdate, born instanceof Age,
                phone == null ? null : (String) phone.value());
    }

    /** "Amina Juma", as the reply names the client. */
    public String name() { return given + " " + family; }

    /**
     * An OpenMRS ID for a client registered without one: "S" would not pass the LuhnMod30 alphabet, so 7 characters
     * of that alphabet from a hash of the message uuid plus the check character. Stable across attempts; a clash
     * with an existing identifier is answered "already registered" (the worker then sends the card's printed ID).
     */
    static String derivedIdentifier(String messageUuid) {
        String alphabet = CheckDigit.LUHN_MOD30.alphabet();
        byte[] hash;
        try {
            hash = MessageDigest.getInstance("SHA-256").digest(messageUuid.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 7; i++) body.append(alphabet.charAt((hash[i] & 0xff) % alphabet.length()));
        return body.toString() + CheckDigit.LUHN_MOD30.compute(body.toString());
    }
}
