package dev.mithril.processor.backend;

import com.squareup.javapoet.MethodSpec;
import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The statements that open {@code forward} and {@code forwardTrain} in every backend: input checks and dimension locals. */
public final class InputChecks {
    private InputChecks() {}

    /**
     * Null and rank checks, the dimension locals read from the inputs' sizes, then the full shape checks (each input
     * axis that did not define a local); with {@code checks} false only the dimension locals (re-read from inputs an
     * earlier call checked). {@code tensor} names an input's {@code Tensor} in the generated code.
     *
     * @throws IllegalArgumentException naming {@code model} when a dimension cannot be read from the input shapes
     */
    public static void add(MethodSpec.Builder m, List<Node> inputs, Function<Node, String> tensor, Identifiers names,
                           List<String> dimSymbols, String model, boolean checks) {
        List<Node> checked = checks ? inputs : List.of();
        for (Node in : checked) {
            m.addStatement("$T.requireNonNull($L, $S)", java.util.Objects.class, tensor.apply(in), "input '" + in.name() + "'");
            m.addStatement("if ($L.rank() != $L) throw shapeError($S, $L, $S)", tensor.apply(in), in.type().rank(), in.name(),
                    tensor.apply(in), in.type().shapeString());
        }
        Set<String> known = new LinkedHashSet<>();
        Set<String> definers = new HashSet<>(); // "input:axis" read into a dimension local: no need to check again
        for (String s : dimSymbols) {
            boolean found = false;
            for (Node in : inputs) {
                List<Dim> dims = in.type().dims();
                for (int a = 0; a < dims.size() && !found; a++) {
                    List<String> others = new ArrayList<>(dims.get(a).symbols());
                    if (!others.remove(s) || others.contains(s) || !known.containsAll(others)) continue;
                    String divisor = dims.get(a).coefficient() + others.stream().map(o -> " * " + names.dim(o)).collect(Collectors.joining());
                    m.addStatement("int $L = $L.dim($L)$L", names.dim(s), tensor.apply(in), a, divisor.equals("1") ? "" : " / (" + divisor + ")");
                    if (divisor.equals("1")) definers.add(in.name() + ":" + a);
                    found = true;
                }
                if (found) break;
            }
            if (!found) throw new IllegalArgumentException("model '" + model + "': cannot tell dimension '" + s + "' from the input shapes");
            known.add(s);
        }
        for (Node in : checked) {
            List<Dim> dims = in.type().dims();
            List<String> conds = new ArrayList<>();
            for (int a = 0; a < dims.size(); a++) {
                if (definers.contains(in.name() + ":" + a)) continue;
                String code = names.code(dims.get(a));
                conds.add(tensor.apply(in) + ".dim(" + a + ") != " + (code.contains(" ") ? "(" + code + ")" : code));
            }
            if (!conds.isEmpty()) m.addStatement("if ($L) throw shapeError($S, $L, $S)", String.join(" || ", conds), in.name(),
                    tensor.apply(in), in.type().shapeString());
        }
    }
}
