package org.chis.mediator.smscodecard;

import java.util.List;

/**
 * A registered health worker's phone: who they are in OpenMRS (provider, location), the reply language to use
 * when RapidPro has none for the contact, and which commands they may send ({@code *} = all).
 */
public record Sender(String phone, String name, String language, String provider, String location, List<String> commands, boolean active) {
    public boolean allowed(String keyword) { return active && (commands.contains("*") || commands.contains(keyword)); }
}
