package dev.mithril.bench;

import dev.mithril.examples.cli.Command;
import dev.mithril.examples.cli.Timing;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code mithril bench}: registered with the command line through
 * {@code META-INF/services/dev.mithril.examples.cli.Command}. Tables go to standard output in the chosen
 * format, progress to standard error; {@code --out DIR} also gets every format and the plots.
 */
public final class BenchCommand implements Command {
    private final PrintStream out, err;

    public BenchCommand() { this(System.out, System.err); }

    BenchCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override public String name() { return "bench"; }

    @Override public String summary() { return "benchmark models: inference, compile time, memory, thread scaling, PyTorch"; }

    @Override public String usage() { return BenchOptions.USAGE; }

    /**
     * Exit 0 when something was measured (even if some models or modes were not available), 2 when nothing asked
     * for exists, 1 when it exists but nothing could be measured (e.g. the generated classes are missing).
     */
    @Override public int run(String[] args) {
        BenchOptions o = BenchOptions.parse(args);
        if (o == null) { out.print(usage()); return 0; }
        BenchRunner.Outcome r = new BenchRunner(o, Timing.SYSTEM, err).run();
        out.print(ReportWriter.write(r.report(), o.format()));
        if (o.out() != null) writeFiles(r, o.out());
        return !r.ranSomething() ? 2 : r.measured() ? 0 : 1;
    }

    private void writeFiles(BenchRunner.Outcome r, Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("report.txt"), ReportWriter.write(r.report(), BenchOptions.Format.TABLE));
            Files.writeString(dir.resolve("report.md"), ReportWriter.write(r.report(), BenchOptions.Format.MARKDOWN));
            Files.writeString(dir.resolve("report.csv"), ReportWriter.write(r.report(), BenchOptions.Format.CSV));
            Files.writeString(dir.resolve("report.json"), ReportWriter.write(r.report(), BenchOptions.Format.JSON));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the report into " + dir + ": " + e.getMessage(), e);
        }
        List<Path> plots = Plots.write(r.charts(), dir);
        err.println("bench: wrote report.{txt,md,csv,json} and " + plots.size() + " plot(s) to " + dir);
    }
}
