package dev.mithril.processor.ops;

import dev.mithril.dsl.ir.Dim;
import java.util.List;

/**
 * How a flat loop over an output of shape {@code out} reads an operand of shape {@code in} under
 * NumPy broadcasting: element {@code i} ({@link #FULL}), always element 0 ({@link #SCALAR}), or element
 * {@code i % size(in)} when the operand covers the trailing dimensions ({@link #SUFFIX}). Any other
 * broadcast cannot be read by one flat index ({@link #NONE}).
 */
public enum Access {
    FULL, SCALAR, SUFFIX, NONE;

    /** Classifies reading {@code in} while looping over {@code out}. */
    public static Access of(List<Dim> in, List<Dim> out) {
        if (in.size() > out.size()) return NONE;
        int pad = out.size() - in.size();
        boolean equal = true;
        for (int i = 0; i < in.size(); i++) if (!in.get(i).equals(out.get(pad + i))) equal = false;
        boolean leadingOnes = true;
        for (int i = 0; i < pad; i++) if (!isOne(out.get(i))) leadingOnes = false;
        if (equal && leadingOnes) return FULL;
        Dim n = Dim.of(1);
        for (Dim d : in) n = n.times(d);
        if (isOne(n)) return SCALAR;
        // A suffix: leading ones, then exactly the output's trailing dimensions.
        int first = 0;
        while (first < in.size() && isOne(in.get(first))) first++;
        for (int i = first; i < in.size(); i++) if (!in.get(i).equals(out.get(pad + i))) return NONE;
        return SUFFIX;
    }

    private static boolean isOne(Dim d) { return d.isFixed() && d.value() == 1; }
}
