package org.chis.common.config;

/** A configuration or mapping-file error; the message names the file, the path and what is wrong. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) { super(message); }
    public ConfigException(String message, Throwable cause) { super(message, cause); }
}
