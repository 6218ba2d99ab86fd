package org.chis.common.config;

/**
 * One mistake in a configuration file: which file, where in it ({@code $.fields[2].type}, a JSON path; null for the
 * whole file) and what is wrong. Printed as {@code file: path: message}, the one format every config error uses.
 */
public record ConfigProblem(String file, String path, String message) {
    @Override
    public String toString() {
        return (file == null ? "" : file + ": ") + (path == null ? "" : path + ": ") + message;
    }
}
