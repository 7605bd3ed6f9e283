package dev.mithril.processor.backend.java;

import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.Node;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.lang.model.SourceVersion;

/** Java names of a model's inputs and outputs, shared by the model interface and every backend's class. */
public final class ModelNames {
    private ModelNames() {}

    /** The {@code forward} parameter names, one per input, in order. */
    public static List<String> inputNames(Graph g) {
        return unique(g.inputs().stream().map(Node::name).toList());
    }

    /** The component names of the {@code Outputs} record, one per output, in order. */
    public static List<String> outputNames(Graph g) {
        return unique(List.copyOf(g.outputs().keySet()));
    }

    /** The {@code Outputs} component for output {@code name}. */
    public static String outputName(Graph g, String name) {
        return outputNames(g).get(List.copyOf(g.outputs().keySet()).indexOf(name));
    }

    private static List<String> unique(List<String> names) {
        Set<String> used = new HashSet<>(Set.of("hashCode", "toString", "equals", "getClass", "notify", "notifyAll", "wait", "clone", "finalize"));
        List<String> out = new ArrayList<>();
        for (String n : names) {
            String b = n.replaceAll("[^A-Za-z0-9_]", "_");
            if (b.isEmpty() || !Character.isJavaIdentifierStart(b.charAt(0))) b = "_" + b;
            String s = b;
            for (int k = 2; !SourceVersion.isName(s) || !used.add(s); k++) s = b + "_" + k;
            out.add(s);
        }
        return out;
    }
}
