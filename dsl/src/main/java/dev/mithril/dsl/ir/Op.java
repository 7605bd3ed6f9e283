package dev.mithril.dsl.ir;

import java.util.List;

/**
 * An operation: what a node computes, with its attributes and its shape rule. Each operation is
 * one small record in {@code dev.mithril.dsl.ops}; records give the structural equality that
 * common-subexpression elimination relies on.
 */
public interface Op {
    /** The operation's name as written in IR text and error messages, e.g. {@code "linear"}. */
    String kind();

    /**
     * The type of the result, given typed inputs. Throws {@link ShapeError} when the inputs do not
     * fit; the message names the offending inputs and their shapes (the graph adds this node's name).
     */
    TensorType infer(List<Node> inputs);

    /** Attributes as deterministic text for IR dumps, e.g. {@code "axis=-1"}; empty when none. */
    default String attributes() { return ""; }

    /** Whether the op maps each element independently (same shape out as in, after broadcasting). */
    default boolean isElementwise() { return false; }

    /** Whether two nodes with this op and the same inputs always compute the same value (false for sources). */
    default boolean isPure() { return true; }

    /**
     * Whether models holding this op can be trained: false for inference-only ops (such as a decode step that
     * updates a cache), whose models get no training code.
     */
    default boolean isDifferentiable() { return true; }

    /**
     * The vector-Jacobian product: given {@code gradOutput} (d loss / d {@code node}, shaped like the node),
     * adds the nodes computing d loss / d input to {@code g} and returns one gradient per input of
     * {@code node}, in order (null for an input with no gradient, such as integer indices). Leaves
     * (inputs, parameters, constants) have no inputs and return an empty list.
     *
     * @throws UnsupportedOperationException for an operation without a gradient rule
     */
    default List<Node> vjp(GradientBuilder g, Node node, Node gradOutput) {
        throw new UnsupportedOperationException("operation '" + kind() + "' of node '" + node.name() + "' has no gradient rule");
    }
}
