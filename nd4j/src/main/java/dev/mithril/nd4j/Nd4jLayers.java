package dev.mithril.nd4j;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The model-zoo layers on ND4J with PyTorch's semantics (NCHW images, weights {@code [O, C/groups, kh, kw]}),
 * each one allocating call that generated code makes per node: convolution and pooling through libnd4j's
 * custom ops, the rest composed from INDArray operations.
 */
public final class Nd4jLayers {
    private Nd4jLayers() {}

    /**
     * {@code nn.Conv2d}: x {@code [N, C, H, W]}, w {@code [O, C/groups, kh, kw]}, b {@code [O]} or null. libnd4j's
     * conv2d takes PyTorch's weight layout (weight format 1) but has no groups: a grouped convolution is one
     * call per group on its slice of channels, concatenated.
     */
    public static INDArray conv2d(INDArray x, INDArray w, INDArray b, int strideH, int strideW, int padH, int padW,
                                  int dilationH, int dilationW, int groups) {
        if (groups == 1) return conv2dOp(x, w, b, strideH, strideW, padH, padW, dilationH, dilationW);
        long cg = x.size(1) / groups, og = w.size(0) / groups;
        List<INDArray> parts = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            INDArray xg = x.get(NDArrayIndex.all(), NDArrayIndex.interval(g * cg, (g + 1) * cg)).dup('c');
            INDArray wg = w.get(NDArrayIndex.interval(g * og, (g + 1) * og)).dup('c');
            INDArray bg = b == null ? null : b.get(NDArrayIndex.interval(g * og, (g + 1) * og)).dup('c');
            parts.add(conv2dOp(xg, wg, bg, strideH, strideW, padH, padW, dilationH, dilationW));
        }
        return Nd4j.concat(1, parts.toArray(INDArray[]::new));
    }

    private static INDArray conv2dOp(INDArray x, INDArray w, INDArray b, int sH, int sW, int pH, int pW, int dH, int dW) {
        // One addInputs call: a second one replaces the first's arrays.
        DynamicCustomOp.DynamicCustomOpsBuilder op = DynamicCustomOp.builder("conv2d")
                .addInputs(b == null ? new INDArray[] {c(x), c(w)} : new INDArray[] {c(x), c(w), c(b)});
        // kH, kW, sH, sW, pH, pW, dH, dW, same-mode 0, data format 0 = NCHW, weight format 1 = [O, C, kH, kW]
        op.addIntegerArguments((int) w.size(2), (int) w.size(3), sH, sW, pH, pW, dH, dW, 0, 0, 1);
        return Nd4j.exec(op.build())[0];
    }

    /** {@code nn.MaxPool2d} (ceil_mode false): padded positions never win. */
    public static INDArray maxPool2d(INDArray x, int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW) {
        // extra parameter unused by max pooling; data format 0 = NCHW
        return Nd4j.exec(DynamicCustomOp.builder("maxpool2d").addInputs(c(x))
                .addIntegerArguments(kH, kW, sH, sW, pH, pW, dH, dW, 0, 0, 0).build())[0];
    }

    /** {@code nn.AvgPool2d} with its defaults: padded zeros count in the divisor (libnd4j's extra parameter 1). */
    public static INDArray avgPool2d(INDArray x, int kH, int kW, int sH, int sW, int pH, int pW) {
        return Nd4j.exec(DynamicCustomOp.builder("avgpool2d").addInputs(c(x))
                .addIntegerArguments(kH, kW, sH, sW, pH, pW, 1, 1, 0, 1, 0).build())[0];
    }

    /** {@code nn.AdaptiveAvgPool2d}: output cell i averages rows {@code [floor(i H / outH), ceil((i + 1) H / outH))}, likewise columns. */
    public static INDArray adaptiveAvgPool2d(INDArray x, int outH, int outW) {
        long h = x.size(2), w = x.size(3);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, x.size(0), x.size(1), outH, outW);
        for (int i = 0; i < outH; i++) {
            long h0 = i * h / outH, h1 = ((i + 1) * h + outH - 1) / outH;
            for (int j = 0; j < outW; j++) {
                long w0 = j * w / outW, w1 = ((j + 1) * w + outW - 1) / outW;
                INDArray cell = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(h0, h1), NDArrayIndex.interval(w0, w1));
                out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.point(j)).assign(cell.mean(2, 3));
            }
        }
        return out;
    }

    /** Inference batch norm over channel axis 1: {@code (x - mean) / sqrt(var + eps) · weight + bias}, folded to one scale and shift. */
    public static INDArray batchNormEval(INDArray x, INDArray weight, INDArray bias, INDArray mean, INDArray var, double eps) {
        INDArray scale = var.add(eps);
        scale = org.nd4j.linalg.ops.transforms.Transforms.sqrt(scale, false).rdivi(1.0).muli(weight);
        INDArray shift = bias.sub(mean.mul(scale));
        long[] channel = new long[x.rank() - 1];
        java.util.Arrays.fill(channel, 1);
        channel[0] = x.size(1);
        return x.mul(scale.reshape('c', channel)).addi(shift.reshape('c', channel));
    }

    /** {@code nn.LayerNorm} over the last axis (biased variance). */
    public static INDArray layerNorm(INDArray x, INDArray weight, INDArray bias, double eps) {
        int last = x.rank() - 1;
        INDArray centered = x.sub(x.mean(true, last));
        INDArray std = org.nd4j.linalg.ops.transforms.Transforms.sqrt(centered.mul(centered).mean(true, last).addi(eps), false);
        return centered.divi(std).muli(weight).addi(bias);
    }

    /** {@code nn.Embedding}: row {@code ids[i]} of {@code table [V, D]}, shaped {@code ids.shape + [D]}. */
    public static INDArray embedding(INDArray ids, INDArray table) {
        long[] flat = ids.dup('c').data().asLong();
        int[] rows = new int[flat.length];
        for (int i = 0; i < flat.length; i++) {
            if (flat[i] < 0 || flat[i] >= table.size(0))
                throw new IndexOutOfBoundsException("embedding: id " + flat[i] + " outside the table's " + table.size(0) + " rows");
            rows[i] = (int) flat[i];
        }
        long[] shape = java.util.Arrays.copyOf(ids.shape(), ids.rank() + 1);
        shape[ids.rank()] = table.size(1);
        return Nd4j.pullRows(table, 1, rows).reshape('c', shape);
    }

    /** {@code torch.arange(n)} as int64, n the size of {@code x} along {@code axis}. */
    public static INDArray positions(INDArray x, int axis) {
        long n = x.size(axis);
        long[] values = new long[(int) n];
        for (int i = 0; i < n; i++) values[i] = i;
        return Nd4j.createFromArray(values);
    }

    /**
     * nanoGPT's causal self-attention from the fused projection {@code qkv [B, T, 3C]}: per head,
     * {@code softmax(q kᵀ / sqrt(hd) + causal mask) v}, heads side by side again ({@code [B, T, C]}).
     */
    public static INDArray causalAttention(INDArray qkv, int heads) {
        long b = qkv.size(0), t = qkv.size(1), c = qkv.size(2) / 3, hd = c / heads;
        INDArray split = qkv.reshape('c', b, t, 3, heads, hd).permute(2, 0, 3, 1, 4).dup('c'); // [3, B, H, T, hd]
        INDArray q = split.get(NDArrayIndex.point(0)).reshape('c', b * heads, t, hd);
        INDArray k = split.get(NDArrayIndex.point(1)).reshape('c', b * heads, t, hd);
        INDArray v = split.get(NDArrayIndex.point(2)).reshape('c', b * heads, t, hd);
        INDArray scores = Nd4j.createUninitialized(DataType.FLOAT, b * heads, t, t);
        INDArray mask = causalMask(t, 0);
        for (long s = 0; s < b * heads; s++) scores.slice(s).assign(q.slice(s).mmul(k.slice(s).transpose()).muli(1 / Math.sqrt(hd)).addi(mask));
        INDArray p = Nd4j.exec(new SoftMax(scores, 2))[0];
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, b * heads, t, hd);
        for (long s = 0; s < b * heads; s++) out.slice(s).assign(p.slice(s).mmul(v.slice(s)));
        return out.reshape('c', b, heads, t, hd).permute(0, 2, 1, 3).dup('c').reshape('c', b, t, c);
    }

    /**
     * Causal attention of {@code T} new positions against a key-value cache: writes their keys and values
     * ({@code qkv [B, T, 3C]}) into {@code kCache, vCache [B, heads, Tmax, hd]} at {@code positions} (int64
     * {@code [T]}, consecutive), then each new query at position {@code p} attends to positions {@code 0..p};
     * the result, heads side by side, is {@code [B, T, C]}.
     */
    public static INDArray cachedAttention(INDArray qkv, INDArray kCache, INDArray vCache, INDArray positions, int heads) {
        long b = qkv.size(0), t = qkv.size(1), c = qkv.size(2) / 3, hd = c / heads, first = positions.getLong(0), last = first + t - 1;
        if (first < 0 || last >= kCache.size(2))
            throw new IndexOutOfBoundsException("cached attention: positions " + first + ".." + last + " outside the cache's " + kCache.size(2));
        INDArray split = qkv.reshape('c', new long[] {b, t, 3, heads, hd}).permute(2, 0, 3, 1, 4).dup('c'); // [3, B, H, T, hd]
        INDArrayIndex all = NDArrayIndex.all(), fresh = NDArrayIndex.interval(first, last + 1);
        kCache.get(all, all, fresh, all).assign(split.get(NDArrayIndex.point(1)));
        vCache.get(all, all, fresh, all).assign(split.get(NDArrayIndex.point(2)));
        INDArray mask = causalMask(t, first);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, b, heads, t, hd);
        for (long i = 0; i < b; i++) {
            for (long h = 0; h < heads; h++) {
                INDArray q = split.get(NDArrayIndex.point(0), NDArrayIndex.point(i), NDArrayIndex.point(h));
                INDArray keys = kCache.get(NDArrayIndex.point(i), NDArrayIndex.point(h), NDArrayIndex.interval(0, last + 1), all);
                INDArray values = vCache.get(NDArrayIndex.point(i), NDArrayIndex.point(h), NDArrayIndex.interval(0, last + 1), all);
                INDArray weights = Nd4j.exec(new SoftMax(q.mmul(keys.transpose()).muli(1 / Math.sqrt(hd)).addi(mask), 1))[0];
                out.get(NDArrayIndex.point(i), NDArrayIndex.point(h)).assign(weights.mmul(values));
            }
        }
        return out.permute(0, 2, 1, 3).dup('c').reshape('c', new long[] {b, t, c});
    }

    /** {@code torch.cat} along {@code axis}. */
    public static INDArray concat(int axis, INDArray... parts) {
        if (axis < 0) axis += parts[0].rank();
        return Nd4j.concat(axis, parts);
    }

    /**
     * {@code x[..., start:end:step]} along {@code axis}, as Python slices (negative bounds count from the end, bounds past
     * the ends are clamped), which must take {@code count} elements: the length the model's type has. On an axis whose
     * size is known only when the model runs, a size shorter than the slice's extent would clamp it to fewer elements
     * (and a planned output would broadcast them); that is an error instead.
     */
    public static INDArray slice(INDArray x, int axis, long start, long end, long step, long count) {
        INDArray out = x.get(sliceIndex(x, axis, start, end, step)).dup('c');
        int a = axis < 0 ? axis + x.rank() : axis;
        if (out.size(a) != count) throw new IllegalArgumentException("slice [" + start + ":" + end + ":" + step + "] of axis " + axis + " of "
                + java.util.Arrays.toString(x.shape()) + " has " + out.size(a) + " elements, the model's type " + count
                + ": the axis is too short");
        return out;
    }

    /** The index of {@code x[..., start:end:step]} along {@code axis} (Python's bounds: negative from the end, clamped). */
    static INDArrayIndex[] sliceIndex(INDArray x, int axis, long start, long end, long step) {
        int a = axis < 0 ? axis + x.rank() : axis;
        long n = x.size(a);
        long from = Math.clamp(start < 0 ? start + n : start, 0, n), to = Math.clamp(end < 0 ? end + n : end, 0, n);
        INDArrayIndex[] index = new INDArrayIndex[x.rank()];
        for (int i = 0; i < index.length; i++) index[i] = i == a ? NDArrayIndex.interval(from, step, to) : NDArrayIndex.all();
        return index;
    }

    /** The additive causal mask of {@code queries} new positions after {@code first} over keys {@code 0..first + queries - 1}: -inf above the diagonal. */
    static INDArray causalMask(long queries, long first) {
        INDArray mask = Nd4j.createUninitialized(DataType.FLOAT, queries, first + queries);
        for (int i = 0; i < queries; i++) for (int j = 0; j < first + queries; j++) mask.putScalar(i, j, j > first + i ? Float.NEGATIVE_INFINITY : 0f);
        return mask;
    }

    /** {@code torch.argmax} along {@code axis} as int64, the first index on ties; the axis kept as size 1 when {@code keepDims}. */
    public static INDArray argmax(INDArray x, int axis, boolean keepDims) {
        if (axis < 0) axis += x.rank();
        INDArray r = Nd4j.argMax(x, axis).castTo(DataType.LONG);
        if (!keepDims) return r;
        long[] shape = x.shape().clone();
        shape[axis] = 1;
        return r.reshape('c', shape);
    }

    /** {@code a}, row-major and contiguous (libnd4j's custom ops read their inputs' buffers in that order). */
    private static INDArray c(INDArray a) { return Nd4jBridge.isContiguousC(a) ? a : a.dup('c'); }
}
