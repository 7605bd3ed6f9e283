package dev.mithril.bench;

import dev.mithril.examples.zoo.GptConfig;
import dev.mithril.examples.zoo.GptWeights;
import dev.mithril.runtime.Attention;
import dev.mithril.runtime.DType;
import dev.mithril.runtime.Embedding;
import dev.mithril.runtime.Epilogue;
import dev.mithril.runtime.Gemm;
import dev.mithril.runtime.Norms;
import dev.mithril.runtime.Tensor;
import java.util.Map;

/**
 * nanoGPT's decoder (the whole sequence, inference) written by hand directly on the runtime's kernels, the way a
 * careful person would without Mithril: token and position tables gathered with {@link Embedding}, weights packed
 * for the GEMM once, bias and exact GELU fused into the GEMM epilogue, the attention and MLP outputs accumulated
 * into the residual stream by the GEMM itself, layer norm from {@link Norms}, causal attention read straight from
 * the fused {@code c_attn} projection ({@link Attention#forwardFused}), and {@code lm_head} tied to the token table.
 * Not thread-safe.
 */
public final class HandWrittenGpt {
    private final GptConfig c;
    private final GptWeights w;
    private float[] qkv = new float[0], hidden = new float[0], logits = new float[0];

    /** The decoder of {@code c} over {@code params} named as nanoGPT (and {@code Zoo.gpt}) name them. */
    public HandWrittenGpt(GptConfig c, Map<String, Tensor> params) {
        this.c = c;
        this.w = GptWeights.of(c, params, "HandWrittenGpt");
    }

    /** Logits {@code [B, T, vocab]} of token ids {@code idx [B, T]} (int64), in a buffer the next call overwrites. */
    public Tensor forward(Tensor idx) {
        if (idx.dtype() != DType.I64 || idx.rank() != 2) throw new IllegalArgumentException("HandWrittenGpt.forward: idx must be I64 [B, T], got "
                + idx.dtype().safetensorsName() + " " + Tensor.shapeString(idx.shape()));
        int batch = idx.dim(0), t = idx.dim(1), d = c.dModel(), rows = batch * t;
        if (t > c.blockSize()) throw new IllegalArgumentException("HandWrittenGpt.forward: sequence of " + t + " exceeds the block size " + c.blockSize());
        qkv = atLeast(qkv, rows * 3 * d);
        hidden = atLeast(hidden, rows * 4 * d);
        logits = atLeast(logits, rows * c.vocabSize());
        // x = wte[idx] + wpe[0..T), the position rows repeated for every sequence
        float[] x = Embedding.forward(idx, w.wte()).data(), pos = Embedding.forward(Embedding.positions(t), w.wpe()).data();
        for (int r = 0; r < rows; r++) {
            int p = (r % t) * d;
            for (int j = 0; j < d; j++) x[r * d + j] += pos[p + j];
        }
        Tensor xt = Tensor.view(x, rows, d);
        for (GptWeights.Block b : w.blocks()) {
            float[] a = Norms.layerNorm(xt, b.ln1W(), b.ln1B()).data();
            Gemm.linear(a, 0, rows, b.attn(), b.attnB(), Epilogue.BIAS, qkv, 0);
            float[] y = Attention.forwardFused(Tensor.view(qkv, batch, t, 3 * d), c.nHead()).out().data();
            Gemm.linear(y, 0, rows, b.proj(), b.projB(), Epilogue.BIAS, null, 0, true, x, 0);
            float[] m = Norms.layerNorm(xt, b.ln2W(), b.ln2B()).data();
            Gemm.linear(m, 0, rows, b.fc(), b.fcB(), Epilogue.BIAS_GELU, hidden, 0);
            Gemm.linear(hidden, 0, rows, b.out(), b.outB(), Epilogue.BIAS, null, 0, true, x, 0);
        }
        float[] f = Norms.layerNorm(xt, w.lnfW(), w.lnfB()).data();
        Gemm.linear(f, 0, rows, w.head(), null, Epilogue.NONE, logits, 0);
        return Tensor.view(logits, batch, t, c.vocabSize());
    }

    private static float[] atLeast(float[] a, int n) { return a.length < n ? new float[n] : a; }
}
