package dev.mithril.examples.cli;

/**
 * One subcommand of the {@code mithril} command line. Built-in commands live in this package; other
 * modules add theirs through {@link java.util.ServiceLoader} (a line in
 * {@code META-INF/services/dev.mithril.examples.cli.Command}), so the examples module needs no
 * compile-time dependency on, e.g., the benchmarks that implement {@code bench}.
 *
 * <p>A command reports bad arguments by throwing {@link UsageException} (exit code 2, with its usage
 * printed); any other failure may be thrown as a runtime exception (exit code 1).
 */
public interface Command {
    /** The word that selects this command, e.g. {@code bench}. */
    String name();

    /** One line for the command list of {@code mithril --help}. */
    String summary();

    /** The full help text of {@code mithril <name> --help}: synopsis and every option with its default. */
    String usage();

    /** Runs the command on the arguments after its name and returns the process exit code. */
    int run(String[] args);
}
