package dev.mithril.processor.backend;

import dev.mithril.dsl.ir.Dim;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.SourceVersion;

/**
 * The Java identifiers of one generated class, whatever the backend: fresh names made unique against each other,
 * keywords and the names the generated code itself uses, and the locals holding the model's named dimensions. Each
 * backend's subclass says how its nodes are named.
 */
public abstract class Identifiers {
    private final Set<String> used;
    private final Map<String, String> dims;

    /** A first naming: {@code reserved} is taken, and each of {@code dimNames} gets a local. */
    protected Identifiers(Set<String> reserved, List<String> dimNames) {
        used = new HashSet<>(reserved);
        dims = new HashMap<>();
        for (String d : dimNames) dims.put(d, unique(d));
    }

    /** A second naming in the same class (the training half): what {@code parent} took stays taken, its dimension locals are shared. */
    protected Identifiers(Identifiers parent) {
        used = new HashSet<>(parent.used);
        dims = new HashMap<>(parent.dims);
    }

    /** Whether {@code name} is already taken in this class. */
    protected final boolean isTaken(String name) { return used.contains(name); }

    /** A fresh identifier based on {@code base}. */
    public final String unique(String base) {
        String b = base.replaceAll("[^A-Za-z0-9_]", "_");
        if (b.isEmpty() || !Character.isJavaIdentifierStart(b.charAt(0))) b = "_" + b;
        String s = b;
        for (int k = 2; used.contains(s) || !SourceVersion.isName(s); k++) s = b + "_" + k;
        used.add(s);
        return s;
    }

    /** The local holding a named dimension's size. */
    public final String dim(String symbol) {
        String s = dims.get(symbol);
        if (s == null) throw new IllegalStateException("dimension '" + symbol + "' is not known from the model's inputs");
        return s;
    }

    /** Java code for a dimension's size: a literal when fixed, else a product of locals ({@code 128 * batch}). */
    public final String code(Dim d) {
        if (d.isFixed()) return Long.toString(d.value());
        StringBuilder sb = new StringBuilder();
        if (d.coefficient() != 1) sb.append(d.coefficient());
        for (String s : d.symbols()) sb.append(sb.isEmpty() ? "" : " * ").append(dim(s));
        return sb.toString();
    }

    /** A Java float literal that reads back to exactly {@code v}. */
    public static String literal(float v) {
        if (Float.isNaN(v)) return "Float.NaN";
        if (Float.isInfinite(v)) return v > 0 ? "Float.POSITIVE_INFINITY" : "Float.NEGATIVE_INFINITY";
        return Float.toString(v) + "f";
    }
}
