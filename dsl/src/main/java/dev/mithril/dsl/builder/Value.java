package dev.mithril.dsl.builder;

import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Node;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.dsl.ops.AdaptiveAvgPool2d;
import dev.mithril.dsl.ops.Argmax;
import dev.mithril.dsl.ops.AvgPool2d;
import dev.mithril.dsl.ops.BatchNorm;
import dev.mithril.dsl.ops.CachedAttention;
import dev.mithril.dsl.ops.CausalAttention;
import dev.mithril.dsl.ops.Concat;
import dev.mithril.dsl.ops.Conv2d;
import dev.mithril.dsl.ops.Embedding;
import dev.mithril.dsl.ops.LayerNorm;
import dev.mithril.dsl.ops.MaxPool2d;
import dev.mithril.dsl.ops.Parameter;
import dev.mithril.dsl.ops.Positions;
import dev.mithril.dsl.ops.Slice;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import dev.mithril.dsl.ops.Add;
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
import java.util.Arrays;
import java.util.List;

/**
 * A value in a model being built: each method adds one node and returns its result. Names of the
 * arithmetic methods ({@code plus}, {@code minus}, {@code times}, {@code div}) make them Kotlin operators.
 */
public final class Value {
    private final ModelBuilder builder;
    private final Node node;

    Value(ModelBuilder builder, Node node) {
        this.builder = builder;
        this.node = node;
    }

    public Node node() { return node; }

    public String name() { return node.name(); }

    ModelBuilder builder() { return builder; }

    /** A linear layer with parameters {@code <name>.weight [out, in]} and {@code <name>.bias [out]}. */
    public Value linear(String name, int out) { return linear(name, out, true); }

    public Value linear(String name, int out, boolean bias) {
        var in = node.type().dim(-1);
        if (!in.isFixed()) throw new IllegalArgumentException("linear '" + name + "': the input's last dimension " + in + " must be a fixed size");
        int k = Math.toIntExact(in.value());
        DType dt = floatDtype();
        Value w = builder.parameter(name + ".weight", dt, k, out, k);
        if (!bias) return builder.apply(name, new Linear(), this, w);
        Value b = builder.parameter(name + ".bias", dt, k, out);
        return builder.apply(name, new Linear(), this, w, b);
    }

    /**
     * A bias-free linear layer whose weight is an existing parameter {@code [out, in]} rather than a new one: tied
     * weights, as GPT's {@code lm_head} reuses the token embedding table. Gradients of both uses add up in that
     * parameter's gradient.
     */
    public Value linearTied(String name, Value weight) {
        if (!(weight.node().op() instanceof Parameter)) throw new IllegalArgumentException("linear '" + name + "' is tied to '"
                + weight.name() + "', which is a " + weight.node().op().kind() + ", not a parameter");
        return builder.apply(name, new Linear(), this, weight);
    }

    /** A linear layer with a generated name ({@code linear_1}, ...). */
    public Value linear(int out) { return linear(builder.fresh("linear"), out); }

    public Value matmul(Value other) { return builder.apply(null, new MatMul(), this, other); }

    public Value plus(Value other) { return builder.apply(null, new Add(), this, other); }

    public Value minus(Value other) { return builder.apply(null, new Subtract(), this, other); }

    public Value times(Value other) { return builder.apply(null, new Multiply(), this, other); }

    public Value div(Value other) { return builder.apply(null, new Divide(), this, other); }

    public Value plus(float c) { return plus(builder.constant(c, floatDtype())); }

    public Value minus(float c) { return minus(builder.constant(c, floatDtype())); }

    public Value times(float c) { return times(builder.constant(c, floatDtype())); }

    public Value div(float c) { return div(builder.constant(c, floatDtype())); }

    public Value relu() { return builder.apply(null, new Relu(), this); }

    public Value gelu() { return builder.apply(null, new Gelu(), this); }

    public Value sigmoid() { return builder.apply(null, new Sigmoid(), this); }

    public Value tanh() { return builder.apply(null, new Tanh(), this); }

    public Value softmax(int axis) { return builder.apply(null, new Softmax(axis), this); }

    /** Reshape; dimensions are sizes, names, or one -1. */
    public Value reshape(Object... dims) {
        return builder.apply(null, new Reshape(Arrays.stream(dims).map(String::valueOf).toList()), this);
    }

    public Value flatten(int start, int end) { return builder.apply(null, new Flatten(start, end), this); }

    public Value flatten() { return flatten(1, -1); }

    /** Swaps two axes. */
    public Value transpose(int axis0, int axis1) {
        return builder.apply(null, Transpose.swap(node.type().rank(), axis0, axis1), this);
    }

    /** A full permutation of the axes. */
    public Value permute(int... perm) {
        return builder.apply(null, new Transpose(Arrays.stream(perm).boxed().toList()), this);
    }

    public Value sum(boolean keepDims, int... axes) { return builder.apply(null, new Sum(ints(axes), keepDims), this); }

    public Value sum(int... axes) { return sum(false, axes); }

    public Value mean(boolean keepDims, int... axes) { return builder.apply(null, new Mean(ints(axes), keepDims), this); }

    public Value mean(int... axes) { return mean(false, axes); }

    /** {@code nn.Conv2d(C, out, kernel, bias=False)}-style convolution: stride 1, no padding; see the full form. */
    public Value conv2d(String name, int out, int kernel) { return conv2d(name, out, kernel, kernel, 1, 0, 1, 1, true); }

    /** A square-kernel convolution with bias. */
    public Value conv2d(String name, int out, int kernel, int stride, int padding) {
        return conv2d(name, out, kernel, kernel, stride, padding, 1, 1, true);
    }

    /**
     * {@code nn.Conv2d(C, out, (kernelH, kernelW), stride, padding, dilation, groups, bias)} on this {@code [N, C, H, W]}
     * value, with parameters {@code <name>.weight [out, C/groups, kernelH, kernelW]} and {@code <name>.bias [out]},
     * both initialized uniformly in ±1/sqrt(C/groups · kernelH · kernelW) as PyTorch does.
     */
    public Value conv2d(String name, int out, int kernelH, int kernelW, int stride, int padding, int dilation, int groups, boolean bias) {
        var t = node.type();
        if (t.rank() != 4 || !t.dim(1).isFixed()) throw new IllegalArgumentException("conv2d '" + name + "': the input must be [N, C, H, W] with fixed C; '"
                + node.name() + "' is " + t);
        long c = t.dim(1).value();
        if (groups < 1 || c % groups != 0) throw new IllegalArgumentException("conv2d '" + name + "': groups " + groups + " must divide the "
                + c + " input channels of '" + node.name() + "'");
        long fanIn = c / groups * kernelH * kernelW;
        Value w = param(name + ".weight", floatType(out, c / groups, kernelH, kernelW), fanIn, Parameter.Init.FAN_IN);
        Conv2d op = new Conv2d(stride, stride, padding, padding, dilation, dilation, groups);
        if (!bias) return builder.apply(name, op, this, w);
        return builder.apply(name, op, this, w, param(name + ".bias", floatType(out), fanIn, Parameter.Init.FAN_IN));
    }

    /** {@code nn.MaxPool2d(kernel, stride, padding)}. */
    public Value maxPool2d(int kernel, int stride, int padding) { return builder.apply(null, new MaxPool2d(kernel, stride, padding), this); }

    /** {@code nn.AvgPool2d(kernel, stride, padding)} (padded zeros count in the average). */
    public Value avgPool2d(int kernel, int stride, int padding) { return builder.apply(null, new AvgPool2d(kernel, stride, padding), this); }

    /** {@code nn.AdaptiveAvgPool2d((outH, outW))}. */
    public Value adaptiveAvgPool2d(int outH, int outW) { return builder.apply(null, new AdaptiveAvgPool2d(outH, outW), this); }

    /**
     * {@code nn.BatchNorm2d(C)} (any rank, channels on axis 1): parameters {@code <name>.weight} (ones) and
     * {@code <name>.bias} (zeros), buffers {@code <name>.running_mean} (zeros), {@code <name>.running_var} (ones)
     * and {@code <name>.num_batches_tracked} (int64 scalar), registered in PyTorch's order.
     */
    public Value batchNorm(String name) {
        var t = node.type();
        if (t.rank() < 2 || !t.dim(1).isFixed()) throw new IllegalArgumentException("batch norm '" + name + "': the input must be [N, C, ...] with fixed C; '"
                + node.name() + "' is " + t);
        TensorType c = floatType(t.dim(1).value());
        return builder.apply(name, new BatchNorm(), this, param(name + ".weight", c, 0, Parameter.Init.ONES),
                param(name + ".bias", c, 0, Parameter.Init.ZEROS), param(name + ".running_mean", c, 0, Parameter.Init.ZEROS),
                param(name + ".running_var", c, 0, Parameter.Init.ONES),
                param(name + ".num_batches_tracked", new TensorType(DType.I64, List.of()), 0, Parameter.Init.ZEROS));
    }

    /** {@code nn.LayerNorm(D)} over the last dimension (eps 1e-5): {@code <name>.weight} (ones), {@code <name>.bias} (zeros). */
    public Value layerNorm(String name) {
        var d = node.type().dim(-1);
        if (!d.isFixed()) throw new IllegalArgumentException("layer norm '" + name + "': the last dimension of '" + node.name() + "' must be fixed, is " + d);
        TensorType w = floatType(d.value());
        return builder.apply(name, new LayerNorm(), this, param(name + ".weight", w, 0, Parameter.Init.ONES),
                param(name + ".bias", w, 0, Parameter.Init.ZEROS));
    }

    /** {@code nn.Embedding(vocab, dim)} looked up at these int64 ids: table {@code <name>.weight [vocab, dim]}, N(0, 1) initialized. */
    public Value embedding(String name, int vocab, int dim) {
        return builder.apply(name, new Embedding(), this, param(name + ".weight", TensorType.f32(vocab, dim), 0, Parameter.Init.NORMAL));
    }

    /** A lookup of these int64 ids in an existing table {@code [rows, dim]} (a parameter shared with another use, say). */
    public Value embedding(Value table) { return builder.apply(null, new Embedding(), this, table); }

    /** The positions {@code 0..n-1} along {@code axis} of this value, int64 {@code [n]} ({@code torch.arange(T)}); n may be symbolic. */
    public Value positions(int axis) { return builder.apply(null, new Positions(axis), this); }

    /** {@code torch.cat([this, others...], axis)}. */
    public Value concat(int axis, Value... others) {
        Value[] all = new Value[others.length + 1];
        all[0] = this;
        System.arraycopy(others, 0, all, 1, others.length);
        return builder.apply(null, new Concat(axis), all);
    }

    /** {@code x[..., start:end]} along {@code axis}. */
    public Value slice(int axis, long start, long end) { return slice(axis, start, end, 1); }

    /** {@code x[..., start:end:step]} along {@code axis}. */
    public Value slice(int axis, long start, long end, long step) { return builder.apply(null, new Slice(axis, start, end, step), this); }

    /** {@code x.split(size / parts, axis)}: {@code parts} equal slices along {@code axis} (a fixed size divisible by parts). */
    public List<Value> split(int axis, int parts) {
        var d = node.type().dim(axis);
        if (parts < 1 || !d.isFixed() || d.value() % parts != 0) throw new IllegalArgumentException("split of '" + node.name() + "' "
                + node.type() + " into " + parts + " parts along axis " + axis + ": the axis must have a fixed size divisible by " + parts);
        long len = d.value() / parts;
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < parts; i++) out.add(slice(axis, i * len, (i + 1) * len));
        return out;
    }

    /** Causal self-attention over this fused {@code qkv [B, T, 3C]} (q, k, v in that order) with {@code heads} heads; {@code [B, T, C]}. */
    public Value causalAttention(int heads) { return builder.apply(null, new CausalAttention(heads), this); }

    /**
     * Causal self-attention of the new positions in this {@code qkv [B, T, 3C]} against key and value caches
     * {@code [B, heads, Tmax, C/heads]} that it appends them to at {@code positions} (int64 {@code [T]}, consecutive);
     * {@code [B, T, C]}. See {@link CachedAttention}.
     */
    public Value cachedAttention(int heads, Value kCache, Value vCache, Value positions) {
        return builder.apply(null, new CachedAttention(heads), this, kCache, vCache, positions);
    }

    /** {@code torch.argmax(x, axis)}: int64 indices. */
    public Value argmax(int axis) { return argmax(axis, false); }

    public Value argmax(int axis, boolean keepDims) { return builder.apply(null, new Argmax(axis, keepDims), this); }

    private Value param(String name, TensorType type, long fanIn, Parameter.Init init) {
        var g = builder.graph();
        return new Value(builder, init == Parameter.Init.FAN_IN ? g.parameter(name, type, fanIn, null) : g.parameter(name, type, init, null));
    }

    /** The dtype of parameters and constants made for this value: F64 for a float64 value, else F32. */
    private DType floatDtype() { return node.type().dtype() == DType.F64 ? DType.F64 : DType.F32; }

    /** A parameter type of {@link #floatDtype()} with fixed sizes. */
    private TensorType floatType(long... sizes) {
        return TensorType.of(floatDtype(), java.util.Arrays.stream(sizes).mapToObj(Dim::of).toArray(Dim[]::new));
    }

    private static List<Integer> ints(int[] xs) { return Arrays.stream(xs).boxed().toList(); }

    @Override public String toString() { return node.toString(); }
}
