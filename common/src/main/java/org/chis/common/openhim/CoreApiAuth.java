package org.chis.common.openhim;

import java.util.Locale;
import org.chis.common.config.ConfigException;

/** How the mediator logs in to the OpenHIM core API. */
public enum CoreApiAuth {
    /** Basic first; on 401 the legacy token scheme; the scheme that worked is remembered. */
    AUTO,
    /** {@code Authorization: Basic} (core 5.1+, default since 7.1). */
    BASIC,
    /** The legacy {@code auth-*} token headers (the only scheme of core 4.x/5.0). */
    TOKEN;

    public static CoreApiAuth parse(String v) {
        try {
            return valueOf(v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("core.api.auth must be auto, basic or token, got '" + v + "'");
        }
    }
}
