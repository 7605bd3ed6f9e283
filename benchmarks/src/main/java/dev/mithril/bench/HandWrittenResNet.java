package dev.mithril.bench;

import dev.mithril.runtime.Conv2d;
import dev.mithril.runtime.DType;
import dev.mithril.runtime.Epilogue;
import dev.mithril.runtime.Gemm;
import dev.mithril.runtime.Norms;
import dev.mithril.runtime.PackedConv2d;
import dev.mithril.runtime.PackedWeights;
import dev.mithril.runtime.Pool2d;
import dev.mithril.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * torchvision's ResNet (inference) written by hand directly on the runtime's kernels, the way a careful person
 * would without Mithril: each batch norm folded into the weights and bias of the convolution before it, and the
 * folded weight prepared for repeated calls ({@link Conv2d#prepack}), once;
 * the residual add and ReLU fused into the block's last convolution ({@link Conv2d}'s residual epilogue); max
 * pooling and global average pooling from {@link Pool2d}; {@code fc} as one GEMM on pre-packed weights.
 * Activations live in four buffers that grow to the largest activation on the first call and are reused.
 *
 * <p>The architecture is read from the parameter names ({@code layer<s>.<b>.conv3} present means bottleneck
 * blocks; blocks are counted per stage), so any depth of {@code Zoo.resnet} works. Not thread-safe.
 */
public final class HandWrittenResNet {
    /** A convolution with its batch norm folded in, its weight prepared once ({@link Conv2d#prepack}): {@code conv(x, weight) + bias}. */
    private record Conv(PackedConv2d weight, int[] weightShape, Tensor bias, int stride, int pad) {
        int[] outputShape(int[] in) {
            return Conv2d.outputShape(in, weightShape, stride, stride, pad, pad, 1, 1, 1);
        }

        /** {@code out = activation(conv(x) + bias + residual)}. */
        void run(Tensor x, Tensor residual, Epilogue activation, Tensor out) {
            Conv2d.conv2dInto(x, weight, bias, stride, stride, pad, pad, 1, 1, residual, activation, out);
        }
    }

    /** Two (basic) or three (bottleneck) convolutions, and the downsampling of the shortcut or null. */
    private record Block(List<Conv> main, Conv downsample) {}

    private final Conv stem;
    private final List<Block> blocks = new ArrayList<>();
    private final PackedWeights fc;
    private final float[] fcBias;
    private final int classes;
    /** Activation buffers; a step writes into one that none of its inputs occupies. */
    private final float[][] slots = new float[4][0];
    private float[] pooled = new float[0], logits = new float[0];

    /** The model over {@code params} named as torchvision (and {@code Zoo.resnet}) name them; F32 only. */
    public HandWrittenResNet(Map<String, Tensor> params) {
        stem = folded(params, "conv1", "bn1", 2, 3);
        boolean bottleneck = params.containsKey("layer1.0.conv3.weight");
        for (int stage = 1; stage <= 4; stage++) {
            if (!params.containsKey("layer" + stage + ".0.conv1.weight")) {
                throw new IllegalArgumentException("HandWrittenResNet: no parameter 'layer" + stage + ".0.conv1.weight'");
            }
            for (int b = 0; params.containsKey("layer" + stage + "." + b + ".conv1.weight"); b++) {
                String p = "layer" + stage + "." + b + ".";
                int stride = b == 0 && stage > 1 ? 2 : 1;
                // torchvision puts the stride on the 3x3: conv1 of a basic block, conv2 of a bottleneck
                List<Conv> main = bottleneck
                        ? List.of(folded(params, p + "conv1", p + "bn1", 1, 0), folded(params, p + "conv2", p + "bn2", stride, 1),
                                folded(params, p + "conv3", p + "bn3", 1, 0))
                        : List.of(folded(params, p + "conv1", p + "bn1", stride, 1), folded(params, p + "conv2", p + "bn2", 1, 1));
                Conv down = params.containsKey(p + "downsample.0.weight")
                        ? folded(params, p + "downsample.0", p + "downsample.1", stride, 0) : null;
                blocks.add(new Block(main, down));
            }
        }
        Tensor w = param(params, "fc.weight");
        classes = w.dim(0);
        fc = Gemm.pack(w.data(), 0, classes, w.dim(1));
        fcBias = param(params, "fc.bias").data().clone();
    }

    /** Logits {@code [N, classes]} of images {@code x [N, C, H, W]}, in a buffer the next call overwrites. */
    public Tensor forward(Tensor x) {
        if (x.rank() != 4) throw new IllegalArgumentException("HandWrittenResNet.forward: x must be [N, C, H, W], got " + Tensor.shapeString(x.shape()));
        Tensor stemOut = view(0, stem.outputShape(x.shape()));
        stem.run(x, null, Epilogue.RELU, stemOut);
        int[] s = stemOut.shape();
        int[] poolShape = Pool2d.maxPool2dOutputShape(s, 3, 3, 2, 2, 1, 1, 1, 1);
        Tensor cur = view(1, poolShape);
        Pool2d.maxPool2dInto(stemOut, 3, 3, 2, 2, 1, 1, 1, 1, cur);
        int at = 1;
        for (Block b : blocks) {
            int[] free = others(at);
            Tensor residual = cur;
            if (b.downsample() != null) {
                residual = view(free[2], b.downsample().outputShape(cur.shape()));
                b.downsample().run(cur, null, Epilogue.NONE, residual);
            }
            Tensor h = cur;
            int last = b.main().size() - 1;
            for (int i = 0; i < last; i++) {
                Conv c = b.main().get(i);
                Tensor o = view(free[i], c.outputShape(h.shape()));
                c.run(h, null, Epilogue.RELU, o);
                h = o;
            }
            // the output may overwrite the block's first intermediate once that is read, never h or the shortcut
            int outSlot = last == 1 ? free[1] : free[0];
            Conv c = b.main().get(last);
            Tensor out = view(outSlot, c.outputShape(h.shape()));
            c.run(h, residual, Epilogue.RELU, out);
            cur = out;
            at = outSlot;
        }
        int n = cur.dim(0), channels = cur.dim(1);
        if (pooled.length < n * channels) pooled = new float[n * channels];
        if (logits.length < n * classes) logits = new float[n * classes];
        Pool2d.adaptiveAvgPool2dInto(cur, 1, 1, Tensor.view(pooled, n, channels, 1, 1));
        Gemm.linear(pooled, 0, n, fc, fcBias, Epilogue.BIAS, logits, 0);
        return Tensor.view(logits, n, classes);
    }

    /** The three slots other than {@code used}, in order. */
    private static int[] others(int used) {
        int[] o = new int[3];
        for (int i = 0, j = 0; i < 4; i++) if (i != used) o[j++] = i;
        return o;
    }

    private Tensor view(int slot, int[] shape) {
        int size = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (slots[slot].length < size) slots[slot] = new float[size];
        return Tensor.view(slots[slot], shape);
    }

    /**
     * {@code conv} followed by inference batch norm {@code bn} as one convolution: per output channel o,
     * {@code scale = gamma / sqrt(var + eps)}, weight {@code w[o] * scale}, bias {@code beta - mean * scale}.
     */
    private static Conv folded(Map<String, Tensor> params, String conv, String bn, int stride, int pad) {
        Tensor w = param(params, conv + ".weight");
        float[] gamma = param(params, bn + ".weight").data(), beta = param(params, bn + ".bias").data();
        float[] mean = param(params, bn + ".running_mean").data(), var = param(params, bn + ".running_var").data();
        int out = w.dim(0), per = w.size() / out;
        if (gamma.length != out) throw new IllegalArgumentException("HandWrittenResNet: " + bn + " has " + gamma.length
                + " channels, " + conv + " has " + out + " outputs");
        float[] fw = w.data().clone(), fb = new float[out];
        for (int o = 0; o < out; o++) {
            double scale = gamma[o] / Math.sqrt(var[o] + Norms.DEFAULT_EPS);
            for (int i = 0; i < per; i++) fw[o * per + i] = (float) (fw[o * per + i] * scale);
            fb[o] = (float) (beta[o] - mean[o] * scale);
        }
        return new Conv(Conv2d.prepack(Tensor.view(fw, w.shape()), 1), w.shape(), Tensor.view(fb, out), stride, pad);
    }

    private static Tensor param(Map<String, Tensor> params, String name) {
        Tensor t = params.get(name);
        if (t == null) throw new IllegalArgumentException("HandWrittenResNet: no parameter '" + name + "'");
        if (t.dtype() != DType.F32) throw new IllegalArgumentException("HandWrittenResNet: parameter '" + name + "' is "
                + t.dtype().safetensorsName() + ", only F32 is supported");
        return t;
    }
}
