package dev.mithril.nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The training forms and gradients of {@link Nd4jLayers}' layers, for generated {@code forwardTrain} and
 * {@code backward}: convolution and pooling gradients through libnd4j's {@code *_bp} ops, the rest composed
 * from INDArray operations. Each allocates its result.
 */
public final class Nd4jLayerGrads {
    private Nd4jLayerGrads() {}

    /**
     * Training batch norm over channel axis 1: normalizes with the batch's (biased) statistics, then moves
     * {@code mean} and {@code var} in place towards the batch's (unbiased variance) by {@code momentum}.
     */
    public static INDArray batchNormTrain(INDArray x, INDArray weight, INDArray bias, INDArray mean, INDArray var, double eps, double momentum) {
        int[] axes = nonChannel(x);
        INDArray xd = x.castTo(DataType.DOUBLE); // statistics in double, as the Java backend keeps them
        INDArray mu = xd.mean(axes), centered = xd.sub(mu.reshape('c', channel(x)));
        INDArray variance = centered.mul(centered).mean(axes);
        long count = x.length() / x.size(1);
        mean.assign(mean.castTo(DataType.DOUBLE).muli(1 - momentum).addi(mu.mul(momentum)));
        var.assign(var.castTo(DataType.DOUBLE).muli(1 - momentum).addi(variance.mul(momentum * count / Math.max(count - 1, 1))));
        INDArray scale = Transforms.sqrt(variance.addi(eps), false).rdivi(1.0).muli(weight.castTo(DataType.DOUBLE));
        return centered.muli(scale.reshape('c', channel(x))).addi(bias.castTo(DataType.DOUBLE).reshape('c', channel(x))).castTo(DataType.FLOAT);
    }

    /**
     * The gradient of a normalization (layer norm over the last axis, or batch norm in training over all but
     * axis 1) with respect to its input or, when {@code wrtWeight}, its weight. With {@code x̂} the normalized
     * input, {@code σ} the standard deviation and {@code ĝ = g·w} the gradient of x̂:
     * {@code dx = (ĝ - mean(ĝ) - x̂·mean(ĝ·x̂)) / σ}, {@code dw = Σ g·x̂}, means and sums over the normalized axes.
     */
    public static INDArray normGrad(INDArray g, INDArray x, INDArray w, double eps, boolean layerNorm, boolean wrtWeight) {
        int[] axes = layerNorm ? new int[] {x.rank() - 1} : nonChannel(x);
        long[] stat = layerNorm ? lastKept(x) : channel(x);
        // In double, as the Java backend computes normalization statistics.
        INDArray xd = x.castTo(DataType.DOUBLE), gd = g.castTo(DataType.DOUBLE), wd = w.castTo(DataType.DOUBLE);
        INDArray centered = xd.sub(xd.mean(true, axes).reshape('c', stat));
        INDArray std = Transforms.sqrt(centered.mul(centered).mean(true, axes).reshape('c', stat).addi(eps), false);
        INDArray xhat = centered.divi(std);
        if (wrtWeight) {
            INDArray gx = gd.mul(xhat);
            return (layerNorm ? Nd4jOps.sumTo(gx, w.shape()) : gx.sum(axes)).castTo(DataType.FLOAT);
        }
        INDArray gw = gd.mul(layerNorm ? wd : wd.reshape('c', channel(x))); // the gradient of x̂
        INDArray meanG = gw.mean(true, axes).reshape('c', stat), meanGx = gw.mul(xhat).mean(true, axes).reshape('c', stat);
        return gw.subi(meanG).subi(xhat.muli(meanGx)).divi(std).castTo(DataType.FLOAT);
    }

    /** The gradient of {@code nn.Conv2d} with respect to its input ({@code wrtWeight} false) or its weight, through libnd4j's conv2d_bp. */
    public static INDArray conv2dGrad(INDArray g, INDArray x, INDArray w, int strideH, int strideW, int padH, int padW,
                                      int dilationH, int dilationW, int groups, boolean wrtWeight) {
        int[] args = {(int) w.size(2), (int) w.size(3), strideH, strideW, padH, padW, dilationH, dilationW, 0, 0, 1};
        if (groups == 1) return conv2dBp(x, w, g, args)[wrtWeight ? 1 : 0];
        long cg = x.size(1) / groups, og = w.size(0) / groups;
        List<INDArray> parts = new ArrayList<>();
        for (int k = 0; k < groups; k++) {
            INDArray xg = x.get(NDArrayIndex.all(), NDArrayIndex.interval(k * cg, (k + 1) * cg)).dup('c');
            INDArray wg = w.get(NDArrayIndex.interval(k * og, (k + 1) * og)).dup('c');
            INDArray gg = g.get(NDArrayIndex.all(), NDArrayIndex.interval(k * og, (k + 1) * og)).dup('c');
            parts.add(conv2dBp(xg, wg, gg, args)[wrtWeight ? 1 : 0]);
        }
        return Nd4j.concat(wrtWeight ? 0 : 1, parts.toArray(INDArray[]::new));
    }

    private static INDArray[] conv2dBp(INDArray x, INDArray w, INDArray g, int[] args) {
        return Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(c(x), c(w), c(g)).addIntegerArguments(args).build());
    }

    /** The gradient of {@code nn.MaxPool2d}: each output's gradient to the position that won (libnd4j's maxpool2d_bp). */
    public static INDArray maxPool2dGrad(INDArray g, INDArray x, int kH, int kW, int sH, int sW, int pH, int pW, int dH, int dW) {
        return Nd4j.exec(DynamicCustomOp.builder("maxpool2d_bp").addInputs(c(x), c(g))
                .addIntegerArguments(kH, kW, sH, sW, pH, pW, dH, dW, 0, 0, 0).build())[0];
    }

    /** The gradient of {@code nn.AvgPool2d} (padded zeros counted in the divisor), libnd4j's avgpool2d_bp. */
    public static INDArray avgPool2dGrad(INDArray g, INDArray x, int kH, int kW, int sH, int sW, int pH, int pW) {
        return Nd4j.exec(DynamicCustomOp.builder("avgpool2d_bp").addInputs(c(x), c(g))
                .addIntegerArguments(kH, kW, sH, sW, pH, pW, 1, 1, 0, 1, 0).build())[0];
    }

    /** The gradient of {@code nn.AdaptiveAvgPool2d}: each output cell's gradient spread evenly over the cells it averaged. */
    public static INDArray adaptiveAvgPool2dGrad(INDArray g, INDArray x, int outH, int outW) {
        long h = x.size(2), w = x.size(3);
        INDArray dx = Nd4j.zeros(DataType.FLOAT, x.shape());
        for (int i = 0; i < outH; i++) {
            long h0 = i * h / outH, h1 = ((i + 1) * h + outH - 1) / outH;
            for (int j = 0; j < outW; j++) {
                long w0 = j * w / outW, w1 = ((j + 1) * w + outW - 1) / outW;
                INDArray share = g.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.point(j))
                        .div((h1 - h0) * (w1 - w0)).reshape('c', x.size(0), x.size(1), 1, 1);
                INDArray cells = dx.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(h0, h1), NDArrayIndex.interval(w0, w1));
                cells.addi(share.broadcast(cells.shape()));
            }
        }
        return dx;
    }

    /** The gradient of an embedding's table: the output gradient's rows added at their ids ({@code table [V, D]}'s shape). */
    public static INDArray embeddingGrad(INDArray g, INDArray ids, INDArray table) {
        long[] flat = ids.dup('c').data().asLong();
        INDArray rows = g.reshape('c', flat.length, table.size(1));
        INDArray dt = Nd4j.zeros(DataType.FLOAT, table.shape());
        for (int i = 0; i < flat.length; i++) dt.getRow(flat[i]).addi(rows.getRow(i));
        return dt;
    }

    /** The gradient of a slice: the output gradient placed at the sliced positions of zeros shaped like {@code x}. */
    public static INDArray sliceGrad(INDArray g, INDArray x, int axis, long start, long end, long step) {
        INDArray dx = Nd4j.zeros(DataType.FLOAT, x.shape());
        dx.get(Nd4jLayers.sliceIndex(x, axis, start, end, step)).assign(g);
        return dx;
    }

    /**
     * The gradient of causal attention with respect to {@code qkv [B, T, 3C]}, recomputing each head's
     * probabilities {@code P}: {@code dV = Pᵀ dO}, {@code dP = dO Vᵀ}, {@code dS = P ∘ (dP - rowsum(dP ∘ P))},
     * {@code dQ = dS K / sqrt(hd)}, {@code dK = dSᵀ Q / sqrt(hd)}.
     */
    public static INDArray causalAttentionGrad(INDArray g, INDArray qkv, int heads) {
        long b = qkv.size(0), t = qkv.size(1), c = qkv.size(2) / 3, hd = c / heads;
        double scale = 1 / Math.sqrt(hd);
        INDArray split = qkv.reshape('c', b, t, 3, heads, hd).permute(2, 0, 3, 1, 4).dup('c'); // [3, B, H, T, hd]
        INDArray dO = g.reshape('c', b, t, heads, hd).permute(0, 2, 1, 3).dup('c');          // [B, H, T, hd]
        INDArray grads = Nd4j.createUninitialized(DataType.FLOAT, 3, b, heads, t, hd);
        INDArray mask = Nd4jLayers.causalMask(t, 0);
        for (long i = 0; i < b; i++) {
            for (long h = 0; h < heads; h++) {
                INDArray q = head(split, 0, i, h), k = head(split, 1, i, h), v = head(split, 2, i, h), d = dO.get(point(i), point(h)).dup('c');
                INDArray p = Nd4j.exec(new SoftMax(q.mmul(k.transpose()).muli(scale).addi(mask), 1))[0];
                INDArray dP = d.mmul(v.transpose());
                INDArray dS = p.mul(dP.sub(dP.mul(p).sum(true, 1)));
                grads.get(point(0), point(i), point(h)).assign(dS.mmul(k).muli(scale));
                grads.get(point(1), point(i), point(h)).assign(dS.transpose().mmul(q).muli(scale));
                grads.get(point(2), point(i), point(h)).assign(p.transpose().mmul(d));
            }
        }
        return grads.permute(1, 3, 0, 2, 4).dup('c').reshape('c', b, t, 3 * c); // [B, T, 3, H, hd]
    }

    private static INDArray head(INDArray split, int which, long batch, long h) {
        return split.get(point(which), point(batch), point(h)).dup('c');
    }

    private static INDArrayIndex point(long i) { return NDArrayIndex.point(i); }

    private static int[] nonChannel(INDArray x) {
        int[] axes = new int[x.rank() - 1];
        axes[0] = 0;
        for (int i = 2; i < x.rank(); i++) axes[i - 1] = i;
        return axes;
    }

    /** {@code [C, 1, 1...]}: a per-channel vector shaped to broadcast against {@code x [N, C, ...]}. */
    private static long[] channel(INDArray x) {
        long[] s = new long[x.rank() - 1];
        Arrays.fill(s, 1);
        s[0] = x.size(1);
        return s;
    }

    /** {@code x}'s shape with the last axis 1: per-row statistics kept for broadcasting. */
    private static long[] lastKept(INDArray x) {
        long[] s = x.shape().clone();
        s[s.length - 1] = 1;
        return s;
    }

    private static INDArray c(INDArray a) { return Nd4jBridge.isContiguousC(a) ? a : a.dup('c'); }
}
