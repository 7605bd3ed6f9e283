package dev.mithril.bench;

import java.io.PrintStream;

/**
 * Progress on standard error: a redrawn bar when stderr is a terminal, one plain line per step otherwise
 * (logs stay readable). The launcher says which by setting {@code -Dmithril.stderr.tty=true|false}; without
 * it, a terminal console counts as a terminal.
 */
final class Progress {
    private final PrintStream err;
    private final boolean tty;
    private final int total;
    private int done;

    Progress(PrintStream err, boolean tty, int total) {
        this.err = err;
        this.tty = tty;
        this.total = Math.max(1, total);
    }

    static boolean stderrIsTerminal() {
        String p = System.getProperty("mithril.stderr.tty");
        if (p != null) return Boolean.parseBoolean(p);
        return System.console() != null && System.console().isTerminal();
    }

    /** Announces the step about to run. */
    void step(String what) {
        done++;
        if (tty) {
            int width = 30, filled = (int) ((long) width * (done - 1) / total);
            err.print("\r\033[K[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + done + "/" + total + " " + what);
        } else {
            err.println("bench [" + done + "/" + total + "] " + what);
        }
        err.flush();
    }

    /** Clears the bar. */
    void finish() {
        if (tty) err.print("\r\033[K");
        err.flush();
    }
}
