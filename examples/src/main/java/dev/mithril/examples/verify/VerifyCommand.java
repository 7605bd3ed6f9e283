package dev.mithril.examples.verify;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.examples.cli.Command;
import dev.mithril.examples.cli.Options;
import dev.mithril.examples.cli.UsageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code mithril verify FILE.safetensors...}: checks that Mithril reproduces PyTorch on reference fixtures
 * (the format of {@code shared/reference/README.md}): builds the model the metadata names, loads its
 * parameters and compares every recorded result. Exits 1 on any mismatch beyond 1e-4 relative
 * (1e-9 for a float64 fixture).
 */
public final class VerifyCommand implements Command {
    @Override public String name() { return "verify"; }

    @Override public String summary() { return "check that compiled models reproduce PyTorch reference fixtures"; }

    @Override public String usage() {
        return """
                usage: mithril verify FILE.safetensors... [options]
                  Builds the model each fixture's metadata names (model, config), loads its param.* tensors,
                  and compares output.eval, output.train, loss.train, every grad.* and the running statistics after
                  the training forward (after_train.*, batch norm) with PyTorch's values:
                  the largest error relative to the largest magnitude of each tensor, per group; for a gpt fixture
                  also output.generate (greedy continuation, token ids exactly), without and with the key-value cache.
                  Exits 0 when every group is within 1e-4 (1e-9 for a float64 fixture), 1 otherwise.
                  --backend java|nd4j|all     backend(s) to compile for (default java)
                  --level none|basic|full|all optimization level(s) (default all)
                """;
    }

    @Override public int run(String[] args) {
        List<String> files = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                rest.add(args[i]);
                if (!args[i].equals("--help") && i + 1 < args.length && !args[i].contains("=")) rest.add(args[++i]);
            } else {
                files.add(args[i]);
            }
        }
        Options o = Options.parse(name(), rest.toArray(String[]::new), Set.of("backend", "level"), Set.of());
        if (o.help()) {
            System.out.print(usage());
            return 0;
        }
        if (files.isEmpty()) throw new UsageException("verify needs at least one fixture file");
        List<Backend> backends = o.choices("backend", List.of("java"), List.of("java", "nd4j"), true).stream()
                .map(s -> Backend.valueOf(s.toUpperCase(Locale.ROOT))).toList();
        List<Level> levels = o.choices("level", List.of("none", "basic", "full"), List.of("none", "basic", "full"), true).stream()
                .map(s -> Level.valueOf(s.toUpperCase(Locale.ROOT))).toList();

        boolean ok = true;
        System.out.printf("%-22s %-5s %-6s %-13s %7s %16s  %s%n", "Fixture", "Back", "Level", "Group", "Tensors", "Max rel. error", "Result");
        for (String file : files) {
            Path path = Path.of(file);
            if (!Files.isRegularFile(path)) throw new UsageException("no such fixture file: " + file);
            ReferenceFixture f = ReferenceFixture.read(path);
            String shown = path.getFileName().toString().replace(".safetensors", "");
            for (Backend b : backends) {
                for (Level l : levels) {
                    List<FixtureCheck.Result> results;
                    try {
                        results = FixtureCheck.run(f, b, l);
                    } catch (RuntimeException e) {
                        System.out.printf("%-22s %-5s %-6s %-13s %7s %16s  FAIL: %s%n", shown, b.classToken(), l.classToken(), "-", "-", "-", e.getMessage());
                        ok = false;
                        continue;
                    }
                    for (FixtureCheck.Result r : results) {
                        String verdict = r.passed() ? "ok" : "FAIL" + (r.problem() != null ? ": " + r.problem() : ": '" + r.worst() + "' differs beyond " + shortNumber(r.tolerance()));
                        System.out.printf("%-22s %-5s %-6s %-13s %7d %16.3e  %s%n", shown, b.classToken(), l.classToken(), r.group(), r.tensors(), r.maxRelativeError(), verdict);
                        ok &= r.passed();
                    }
                }
            }
        }
        System.out.println(ok ? "all fixtures match PyTorch within their tolerance (1e-4, float64 fixtures 1e-9)" : "MISMATCH: see the FAIL lines above");
        return ok ? 0 : 1;
    }

    /** 1e-4 rather than 1.0E-4. */
    private static String shortNumber(double v) {
        return new java.text.DecimalFormat("0E0", java.text.DecimalFormatSymbols.getInstance(Locale.ROOT)).format(v).toLowerCase(Locale.ROOT);
    }
}
