package dev.mithril.processor.passes;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.Op;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.dsl.ops.Add;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.dsl.ops.Divide;
import dev.mithril.dsl.ops.Flatten;
import dev.mithril.dsl.ops.Gelu;
import dev.mithril.dsl.ops.Linear;
import dev.mithril.dsl.ops.MatMul;
import dev.mithril.dsl.ops.Mean;
import dev.mithril.dsl.ops.Multiply;
import dev.mithril.dsl.ops.Relu;
import dev.mithril.dsl.ops.Reshape;
import dev.mithril.dsl.ops.Sigmoid;
import dev.mithril.dsl.ops.Softmax;
import dev.mithril.dsl.ops.Subtract;
import dev.mithril.dsl.ops.Sum;
import dev.mithril.dsl.ops.Tanh;
import dev.mithril.dsl.ops.Transpose;
import dev.mithril.runtime.Gradients;
import dev.mithril.runtime.Kernels;
import dev.mithril.runtime.Tensor;
import java.util.List;

/**
 * Computes an operation on constant inputs at compile time with the runtime's reference kernels. The
 * result is the same whatever backend the program is rendered for, since it becomes a constant.
 */
final class ConstantEvaluator {
    private ConstantEvaluator() {}

    /** The value of {@code op} on {@code inputs}, or null when the op cannot be evaluated here. */
    static Constant evaluate(Op op, List<Constant> inputs, TensorType type) {
        List<Tensor> t = inputs.stream().map(ConstantEvaluator::tensor).toList();
        Tensor r = switch (op) {
            case Add a -> Kernels.add(t.get(0), t.get(1));
            case Subtract s -> Kernels.sub(t.get(0), t.get(1));
            case Multiply m -> Kernels.mul(t.get(0), t.get(1));
            case Divide d -> Kernels.div(t.get(0), t.get(1));
            case Relu r1 -> Kernels.relu(t.get(0));
            case Gelu g -> Kernels.gelu(t.get(0));
            case Sigmoid s -> Kernels.sigmoid(t.get(0));
            case Tanh th -> Kernels.tanh(t.get(0));
            case Softmax s -> Kernels.softmax(t.get(0), s.axis());
            case MatMul m when m.transA() || m.transB() -> Gradients.matmul(t.get(0), m.transA(), t.get(1), m.transB());
            case MatMul m -> Kernels.matmul(t.get(0), t.get(1));
            case Linear l -> Kernels.linear(t.get(0), t.get(1), t.size() > 2 ? t.get(2) : null);
            case Transpose tr -> Kernels.transpose(t.get(0), tr.perm().stream().mapToInt(Integer::intValue).toArray());
            case Sum s -> Kernels.sum(t.get(0), s.normalizedAxes(inputs.get(0).type()).stream().mapToInt(Integer::intValue).toArray(), s.keepDims());
            case Mean m -> Kernels.mean(t.get(0), m.normalizedAxes(inputs.get(0).type()).stream().mapToInt(Integer::intValue).toArray(), m.keepDims());
            case Reshape r2 -> t.get(0).copy();
            case Flatten f -> t.get(0).copy();
            default -> null;
        };
        return r == null ? null : new Constant(type, r.data());
    }

    static Tensor tensor(Constant c) {
        return Tensor.of(c.values(), c.type().dims().stream().mapToInt(d -> Math.toIntExact(d.value())).toArray());
    }

    static boolean isConstant(Node n) { return n.op() instanceof Constant; }

    static long elements(TensorType t) {
        return t.isFixed() ? t.elements().value() : Long.MAX_VALUE;
    }

    static boolean fixed(List<Dim> dims) { return dims.stream().allMatch(Dim::isFixed); }
}
