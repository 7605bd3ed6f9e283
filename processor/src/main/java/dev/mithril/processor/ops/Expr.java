package dev.mithril.processor.ops;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The body of a fused elementwise loop as a small expression tree over the fused node's inputs.
 * Backend neutral: operations are named by their IR kind ({@code add}, {@code relu}, ...).
 */
public sealed interface Expr {
    /** The fused node's input number {@code index}, read at the loop's element. */
    record Leaf(int index) implements Expr {
        public String toText() { return "$" + index; }
    }

    /** A scalar constant folded into the expression. */
    record Literal(float value) implements Expr {
        public String toText() { return Float.toString(value); }
    }

    /** An elementwise operation ({@code add, sub, mul, div, relu, gelu, sigmoid, tanh} and the gradients {@code relu_grad, ...}) applied to sub-expressions. */
    record Apply(String kind, List<Expr> args) implements Expr {
        public Apply {
            args = List.copyOf(args);
        }

        public String toText() {
            return kind + "(" + args.stream().map(Expr::toText).collect(Collectors.joining(", ")) + ")";
        }
    }

    /** Deterministic text for IR dumps, e.g. {@code tanh(add(mul($0, $1), 1.0))}. */
    String toText();

    /** Whether every operation in the tree is one of {@code kinds}. */
    default boolean usesOnly(java.util.Set<String> kinds) {
        return switch (this) {
            case Leaf l -> true;
            case Literal l -> true;
            case Apply a -> kinds.contains(a.kind()) && a.args().stream().allMatch(e -> e.usesOnly(kinds));
        };
    }

    /** The number of operations in the tree. */
    default int operations() {
        return switch (this) {
            case Leaf l -> 0;
            case Literal l -> 0;
            case Apply a -> 1 + a.args().stream().mapToInt(Expr::operations).sum();
        };
    }
}
