package dev.mithril.processor.apt;

import dev.mithril.dsl.ir.Dim;
import java.util.Map;

/**
 * Integer expressions over hyperparameters, as written in {@code outExpr = "4*hidden"},
 * {@code @With({"planes=2*width"})} and {@code @Input(shape = {"batch", "planes"})}: numbers, names,
 * {@code + - * /} and parentheses, with the usual precedence. Division must be exact, since a
 * layer width that silently rounds is a bug in the model, not a wish.
 */
final class HyperExpression {
    private final String text;
    private final Map<String, Long> values;
    private int pos;

    private HyperExpression(String text, Map<String, Long> values) {
        this.text = text;
        this.values = values;
    }

    /** The value of {@code text}; throws {@link IllegalArgumentException} naming the problem. */
    static long evaluate(String text, Map<String, Long> values) {
        HyperExpression e = new HyperExpression(text, values);
        long v = e.sum();
        e.skipSpaces();
        if (e.pos != text.length()) throw e.error("unexpected '" + text.charAt(e.pos) + "'");
        return v;
    }

    /**
     * A shape entry: an expression over hyperparameters (evaluated), or a symbolic dimension such as
     * {@code batch} or {@code 4*batch} in which hyperparameter names are replaced by their values.
     */
    static Dim dimension(String text, Map<String, Long> values) {
        if (usesOnlyKnownNames(text, values)) {
            long v = evaluate(text, values);
            if (v < 0) throw new IllegalArgumentException("dimension '" + text + "' is " + v + ", which is negative");
            return Dim.of(v);
        }
        Dim d = Dim.of(1);
        for (String factor : text.split("\\*")) {
            String f = factor.strip();
            Long v = values.get(f);
            d = d.times(v != null ? Dim.of(v) : Dim.parse(f));
        }
        return d;
    }

    /** Whether every name in {@code text} is a known hyperparameter (true for plain numbers). */
    private static boolean usesOnlyKnownNames(String text, Map<String, Long> values) {
        for (String name : text.split("[^A-Za-z0-9_]+")) {
            if (!name.isEmpty() && !Character.isDigit(name.charAt(0)) && !values.containsKey(name)) return false;
        }
        return true;
    }

    private long sum() {
        long v = product();
        while (true) {
            skipSpaces();
            if (eat('+')) v = Math.addExact(v, product());
            else if (eat('-')) v = Math.subtractExact(v, product());
            else return v;
        }
    }

    private long product() {
        long v = factor();
        while (true) {
            skipSpaces();
            if (eat('*')) v = Math.multiplyExact(v, factor());
            else if (eat('/')) {
                int at = pos;
                long d = factor();
                if (d == 0) throw error("division by zero at position " + at);
                if (v % d != 0) throw error(v + " is not divisible by " + d);
                v /= d;
            } else return v;
        }
    }

    private long factor() {
        skipSpaces();
        if (eat('-')) return Math.negateExact(factor());
        if (eat('(')) {
            long v = sum();
            skipSpaces();
            if (!eat(')')) throw error("missing ')'");
            return v;
        }
        int start = pos;
        if (pos < text.length() && Character.isDigit(text.charAt(pos))) {
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
            try {
                return Long.parseLong(text.substring(start, pos));
            } catch (NumberFormatException e) {
                throw error("number " + text.substring(start, pos) + " is too large");
            }
        }
        if (pos < text.length() && Character.isJavaIdentifierStart(text.charAt(pos))) {
            while (pos < text.length() && Character.isJavaIdentifierPart(text.charAt(pos))) pos++;
            String name = text.substring(start, pos);
            Long v = values.get(name);
            if (v == null) throw error("'" + name + "' is not a hyperparameter" + known());
            return v;
        }
        throw error(pos < text.length() ? "unexpected '" + text.charAt(pos) + "'" : "it ends too early");
    }

    private String known() {
        return values.isEmpty() ? " (the model declares none)" : " (known: " + String.join(", ", new java.util.TreeSet<>(values.keySet())) + ")";
    }

    private boolean eat(char c) {
        if (pos < text.length() && text.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void skipSpaces() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("cannot evaluate '" + text + "': " + what);
    }
}
