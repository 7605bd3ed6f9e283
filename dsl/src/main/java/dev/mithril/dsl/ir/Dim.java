package dev.mithril.dsl.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One dimension of a symbolic shape: a product of a constant and named sizes, such as {@code 784},
 * {@code batch} or {@code 128*batch}. Products let reshapes fold a named dimension into another
 * ({@code [batch, 128, 512] -> [128*batch, 512]}) and back without losing the name.
 */
public final class Dim {
    private final long coeff;
    private final List<String> symbols; // sorted, may repeat

    private Dim(long coeff, List<String> symbols) {
        this.coeff = coeff;
        this.symbols = symbols;
    }

    /** A fixed size. */
    public static Dim of(long size) {
        if (size < 0) throw new IllegalArgumentException("dimension must not be negative: " + size);
        return new Dim(size, List.of());
    }

    /** A named size, bound when the model runs (or at compile time, for run-time compiled models). */
    public static Dim sym(String name) {
        if (!isIdentifier(name)) throw new IllegalArgumentException("not a dimension name: '" + name + "'");
        return new Dim(1, List.of(name));
    }

    /** Parses {@code "784"}, {@code "batch"} or a product such as {@code "4*batch"}. */
    public static Dim parse(String text) {
        String s = text.strip();
        if (s.isEmpty()) throw new IllegalArgumentException("empty dimension");
        Dim d = of(1);
        for (String factor : s.split("\\*", -1)) { // -1 keeps a trailing empty factor, so "4*" is rejected
            String f = factor.strip();
            if (f.matches("\\d+")) d = d.times(of(Long.parseLong(f)));
            else if (isIdentifier(f)) d = d.times(sym(f));
            else throw new IllegalArgumentException("not a dimension: '" + text + "' (expected a size, a name or a product of them)");
        }
        return d;
    }

    static boolean isIdentifier(String s) {
        return s != null && s.matches("[A-Za-z_][A-Za-z0-9_]*");
    }

    public boolean isFixed() { return symbols.isEmpty(); }

    /** The size of a fixed dimension. */
    public long value() {
        if (!isFixed()) throw new IllegalStateException("dimension " + this + " is not fixed");
        return coeff;
    }

    public long coefficient() { return coeff; }

    public List<String> symbols() { return symbols; }

    public Dim times(Dim o) {
        if (o.symbols.isEmpty() && symbols.isEmpty()) return new Dim(coeff * o.coeff, List.of());
        List<String> s = new ArrayList<>(symbols);
        s.addAll(o.symbols);
        Collections.sort(s);
        return new Dim(coeff * o.coeff, List.copyOf(s));
    }

    /** {@code this / o} when it divides exactly, else {@code null}. */
    public Dim dividedBy(Dim o) {
        if (o.coeff == 0 || coeff % o.coeff != 0) return null;
        List<String> s = new ArrayList<>(symbols);
        for (String sym : o.symbols) if (!s.remove(sym)) return null;
        return new Dim(coeff / o.coeff, List.copyOf(s));
    }

    /** Replaces bound names by their sizes. */
    public Dim bind(Map<String, ? extends Number> sizes) {
        long c = coeff;
        List<String> rest = new ArrayList<>();
        for (String s : symbols) {
            Number v = sizes.get(s);
            if (v == null) rest.add(s); else c *= v.longValue();
        }
        return new Dim(c, List.copyOf(rest));
    }

    /** The size, given values for every name; throws naming the first unbound one. */
    public long evaluate(Map<String, ? extends Number> sizes) {
        Dim b = bind(sizes);
        if (!b.isFixed()) throw new IllegalArgumentException("dimension '" + b.symbols.get(0) + "' has no value");
        return b.coeff;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Dim d && d.coeff == coeff && d.symbols.equals(symbols);
    }

    @Override public int hashCode() { return Long.hashCode(coeff) * 31 + symbols.hashCode(); }

    @Override public String toString() {
        if (symbols.isEmpty()) return Long.toString(coeff);
        String s = String.join("*", symbols);
        return coeff == 1 ? s : coeff + "*" + s;
    }
}
