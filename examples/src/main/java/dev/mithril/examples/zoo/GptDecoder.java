package dev.mithril.examples.zoo;

import dev.mithril.runtime.Attention;
import dev.mithril.runtime.Epilogue;
import dev.mithril.runtime.Gemm;
import dev.mithril.runtime.Norms;
import dev.mithril.runtime.Tensor;
import java.util.Map;

/**
 * The GPT decoder with a key-value cache, written by hand on the runtime's kernels (the baseline
 * {@link CompiledDecoder}, the compiler's, is measured against): a prompt goes in in one pass ({@link #prompt}), then
 * each {@link #step} feeds one token per sequence, appends its keys and values to per-layer caches {@code [B, H,
 * maxLength, hd]}, and attends to everything cached ({@link Attention#attendCached}), so a new token costs one
 * position's work instead of a forward pass over the whole sequence. It is assembled from the runtime's kernels over the same parameters
 * the compiled model holds (nanoGPT's names, {@link Zoo#gpt}), and computes what that model's forward pass
 * computes at the last position; float32 only.
 *
 * <p>Weights are packed for the GEMM once, when the decoder is made: make a new decoder after changing them.
 *
 * <pre>{@code
 * GptDecoder d = new GptDecoder(config, model.parameters(), batch, 64);
 * Tensor logits = d.step(new long[] {bos}, true);      // [B, vocab] at position 0
 * }</pre>
 */
public final class GptDecoder implements Decoder {
    private final GptConfig c;
    private final int batch, maxLength;
    private final GptWeights w;
    private final float[] wte, wpe;
    private final Tensor[] keys, values; // per layer, [B, H, maxLength, hd]
    private final float[] x, qkv, fc, logits;
    private final Tensor q;
    private int length;

    /**
     * A decoder for {@code batch} sequences of up to {@code maxLength} positions (at most the block size), over
     * {@code params} named as {@link Zoo#gpt} names them (missing or mis-shaped ones are reported by name).
     */
    public GptDecoder(GptConfig c, Map<String, Tensor> params, int batch, int maxLength) {
        if (batch < 1) throw new IllegalArgumentException("GptDecoder: batch must be positive, got " + batch);
        if (maxLength < 1 || maxLength > c.blockSize()) throw new IllegalArgumentException("GptDecoder: maxLength " + maxLength
                + " must be in 1.." + c.blockSize() + " (the block size: rows of transformer.wpe)");
        this.c = c;
        this.batch = batch;
        this.maxLength = maxLength;
        int d = c.dModel(), h = c.nHead(), hd = c.headSize();
        w = GptWeights.of(c, params, "GptDecoder");
        wte = w.wte().data();
        wpe = w.wpe().data();
        keys = new Tensor[c.nLayer()];
        values = new Tensor[c.nLayer()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = Tensor.zeros(batch, h, maxLength, hd);
            values[i] = Tensor.zeros(batch, h, maxLength, hd);
        }
        x = new float[batch * d];
        qkv = new float[batch * 3 * d];
        fc = new float[batch * 4 * d];
        logits = new float[batch * c.vocabSize()];
        q = Tensor.zeros(batch, h, 1, hd);
    }

    @Override public GptConfig config() { return c; }

    @Override public int batch() { return batch; }

    /** Positions fed so far: the next {@link #step} fills position {@code length()}. */
    @Override public int length() { return length; }

    /** Forgets the cached positions, to start new sequences. */
    @Override public void reset() { length = 0; }

    /**
     * All of the prompt's positions in one pass, as {@link CompiledDecoder} takes them: every layer's GEMMs over the
     * {@code B * P} rows at once, {@link Attention#forwardCached} writing the prompt's keys and values into the caches,
     * and the output head on the last position only. Returns the logits for the token after the prompt, {@code [B,
     * vocab]} (overwritten by the next step).
     */
    @Override public Tensor prompt(Tensor ids) {
        checkPrompt(ids);
        int p = ids.dim(1), d = c.dModel(), rows = batch * p, start = length;
        if (start + p > maxLength) throw new IllegalStateException("GptDecoder.prompt: the cache holds " + maxLength + " positions, "
                + start + " used; " + p + " more do not fit; reset() first");
        long[] tokens = ids.longs(), positions = new long[p];
        float[] xs = new float[rows * d];
        for (int r = 0; r < rows; r++) {
            long t = tokens[r];
            if (t < 0 || t >= c.vocabSize()) throw new IndexOutOfBoundsException("GptDecoder.prompt: token " + t + " of sequence "
                    + r / p + " is outside the vocabulary 0.." + (c.vocabSize() - 1));
            int pos = start + r % p;
            for (int j = 0; j < d; j++) xs[r * d + j] = wte[(int) t * d + j] + wpe[pos * d + j];
        }
        for (int i = 0; i < p; i++) positions[i] = start + i;
        Tensor xt = Tensor.view(xs, rows, d), at = Tensor.ofLongs(positions, p);
        float[] qkvs = new float[rows * 3 * d], fcs = new float[rows * 4 * d];
        for (int layer = 0; layer < keys.length; layer++) {
            GptWeights.Block blk = w.blocks().get(layer);
            project(blk, xt, rows, qkvs);
            float[] y = Attention.forwardCached(Tensor.view(qkvs, batch, p, 3 * d), keys[layer], values[layer], at, c.nHead()).data();
            mlp(blk, y, xt, rows, fcs);
        }
        length += p;
        for (int b = 0; b < batch; b++) System.arraycopy(xs, (b * p + p - 1) * d, x, b * d, d); // each sequence's last position
        return head();
    }

    /**
     * Feeds token {@code tokens[b]} of each sequence at position {@link #length()} and returns the logits for the
     * next token, {@code [B, vocab]}, or null when {@code wantLogits} is false (prompt positions before the last
     * need only their keys and values). The returned tensor is overwritten by the next step.
     */
    @Override public Tensor step(long[] tokens, boolean wantLogits) {
        if (tokens.length != batch) throw new IllegalArgumentException("GptDecoder.step: " + tokens.length + " tokens for a batch of " + batch);
        if (length >= maxLength) throw new IllegalStateException("GptDecoder.step: the cache holds " + maxLength + " positions, all used; reset() first");
        int d = c.dModel(), h = c.nHead(), hd = c.headSize(), pos = length;
        for (int b = 0; b < batch; b++) {
            long t = tokens[b];
            if (t < 0 || t >= c.vocabSize()) throw new IndexOutOfBoundsException("GptDecoder.step: token " + t + " of sequence " + b
                    + " is outside the vocabulary 0.." + (c.vocabSize() - 1));
            for (int j = 0; j < d; j++) x[b * d + j] = wte[(int) t * d + j] + wpe[pos * d + j];
        }
        Tensor xt = Tensor.view(x, batch, d);
        for (int layer = 0; layer < keys.length; layer++) {
            GptWeights.Block blk = w.blocks().get(layer);
            project(blk, xt, batch, qkv);
            // q to [B, H, 1, hd]; k and v appended at this position of the [B, H, Tmax, hd] caches.
            float[] qd = q.data(), kc = keys[layer].data(), vc = values[layer].data();
            for (int b = 0; b < batch; b++) {
                for (int hi = 0; hi < h; hi++) {
                    int src = b * 3 * d + hi * hd, cache = ((b * h + hi) * maxLength + pos) * hd;
                    System.arraycopy(qkv, src, qd, (b * h + hi) * hd, hd);
                    System.arraycopy(qkv, src + d, kc, cache, hd);
                    System.arraycopy(qkv, src + 2 * d, vc, cache, hd);
                }
            }
            // [B, H, 1, hd] is [B, C] with the heads side by side: the layout c_proj reads.
            float[] y = Attention.attendCached(q, keys[layer], values[layer], pos + 1).data();
            mlp(blk, y, xt, batch, fc);
        }
        length++;
        return wantLogits ? head() : null;
    }

    /** {@code qkv} = c_attn(ln_1(x)) for the {@code rows} rows of {@code x}. */
    private static void project(GptWeights.Block blk, Tensor x, int rows, float[] qkv) {
        float[] a = Norms.layerNorm(x, blk.ln1W(), blk.ln1B()).data();
        Gemm.linear(a, 0, rows, blk.attn(), blk.attnB(), Epilogue.BIAS, qkv, 0);
    }

    /**
     * The rest of a block for the {@code rows} rows of {@code x}, given its attention's output {@code y}: x += c_proj(y),
     * then x += mlp(ln_2(x)) with {@code hidden} for the 4C-wide activations.
     */
    private static void mlp(GptWeights.Block blk, float[] y, Tensor x, int rows, float[] hidden) {
        float[] xs = x.data();
        Gemm.linear(y, 0, rows, blk.proj(), blk.projB(), Epilogue.BIAS, null, 0, true, xs, 0);
        float[] m = Norms.layerNorm(x, blk.ln2W(), blk.ln2B()).data();
        Gemm.linear(m, 0, rows, blk.fc(), blk.fcB(), Epilogue.BIAS_GELU, hidden, 0);
        Gemm.linear(hidden, 0, rows, blk.out(), blk.outB(), Epilogue.BIAS, null, 0, true, xs, 0);
    }

    /** The logits after {@link #x} (one position per sequence), {@code [B, vocab]}, in {@link #logits}. */
    private Tensor head() {
        float[] f = Norms.layerNorm(Tensor.view(x, batch, c.dModel()), w.lnfW(), w.lnfB()).data();
        Gemm.linear(f, 0, batch, w.head(), null, Epilogue.NONE, logits, 0);
        return Tensor.view(logits, batch, c.vocabSize());
    }
}
