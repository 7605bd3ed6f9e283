package dev.mithril.examples.cli;

import java.io.PrintStream;

/** {@code mithril info}: the JDK, CPU, vector width, threads, backends and GEMM that results depend on. */
public final class InfoCommand implements Command {
    private final PrintStream out;

    public InfoCommand() { this(System.out); }

    InfoCommand(PrintStream out) { this.out = out; }

    @Override public String name() { return "info"; }

    @Override public String summary() { return "show the JDK, CPU, vector width, threads, backends and GEMM in use"; }

    @Override public String usage() {
        return """
                usage: mithril info

                Prints what benchmark figures depend on: Mithril and JDK versions, CPU model and cores, the Vector
                API's preferred float species, the number of kernel threads (-Dmithril.threads or the core count),
                the backends this build can generate code for, and the matrix-multiply implementation.
                """;
    }

    @Override public int run(String[] args) {
        Options o = Options.parse("info", args, Options.names(), Options.names());
        if (o.help()) { out.print(usage()); return 0; }
        TextTable t = new TextTable("Property", "Value");
        t.row("Mithril", SystemInfo.mithrilVersion());
        t.row("JDK", SystemInfo.jdk());
        t.row("JVM", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        t.row("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        t.row("CPU", SystemInfo.cpuModel());
        t.row("Cores", SystemInfo.cores());
        t.row("Vector species", SystemInfo.vectorSpecies());
        t.row("Threads", SystemInfo.threads() + " (Parallel.threads())");
        t.row("Backends", String.join(", ", SystemInfo.backends()));
        t.row("GEMM", SystemInfo.gemm());
        t.row("Max heap", Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        out.print(t);
        return 0;
    }
}
