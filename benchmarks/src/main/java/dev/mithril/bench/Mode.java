package dev.mithril.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** What {@code mithril bench} measures. */
public enum Mode {
    INFERENCE("inference", null),
    TRAINING("training", null),
    GENERATION("generation", null),
    COMPILE("compile", null),
    MEMORY("memory", null),
    SCALING("scaling", null);

    private final String id;
    private final String missing;

    Mode(String id, String missing) {
        this.id = id;
        this.missing = missing;
    }

    public String id() { return id; }

    public static List<String> ids() { return Arrays.stream(values()).map(Mode::id).toList(); }

    public static Mode of(String id) {
        for (Mode m : values()) if (m.id.equals(id.toLowerCase(Locale.ROOT))) return m;
        throw new IllegalArgumentException("unknown mode '" + id + "' (one of " + String.join(", ", ids()) + ")");
    }

    public boolean available() { return missing == null; }

    /** What it waits for, or null when {@link #available()}. */
    public String missing() { return missing; }
}
