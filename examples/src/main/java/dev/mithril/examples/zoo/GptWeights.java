package dev.mithril.examples.zoo;

import dev.mithril.runtime.DType;
import dev.mithril.runtime.Gemm;
import dev.mithril.runtime.PackedWeights;
import dev.mithril.runtime.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A GPT's parameters as the hand-written decoders run on them ({@link GptDecoder}, and the benchmarks' whole-sequence
 * twin): read by nanoGPT's names ({@link Zoo#gpt}), each checked for float32 and its shape, the linear layers' weights
 * packed for the GEMM once, and {@code lm_head} the token table packed (tied weights).
 *
 * <pre>{@code
 * GptWeights w = GptWeights.of(config, model.parameters(), "MyDecoder");
 * Gemm.linear(x, 0, rows, w.head(), null, Epilogue.NONE, logits, 0);
 * }</pre>
 *
 * @param wte token table {@code [vocab, d]}
 * @param wpe position table {@code [blockSize, d]}
 * @param head {@code wte} packed: the logits' projection
 * @param blocks the transformer blocks, in order
 * @param lnfW final layer norm's weight
 * @param lnfB final layer norm's bias
 */
public record GptWeights(Tensor wte, Tensor wpe, PackedWeights head, List<Block> blocks, Tensor lnfW, Tensor lnfB) {
    /** One block's weights: layer norms as tensors, linear layers packed with their biases. */
    public record Block(Tensor ln1W, Tensor ln1B, PackedWeights attn, float[] attnB, PackedWeights proj, float[] projB,
                        Tensor ln2W, Tensor ln2B, PackedWeights fc, float[] fcB, PackedWeights out, float[] outB) {}

    public GptWeights {
        blocks = List.copyOf(blocks);
    }

    /**
     * The weights of a GPT of config {@code c} from {@code params}; a missing or mis-shaped parameter is an
     * {@link IllegalArgumentException} naming it, prefixed by {@code owner} (the class that asked).
     */
    public static GptWeights of(GptConfig c, Map<String, Tensor> params, String owner) {
        int d = c.dModel();
        Tensor wte = param(owner, params, GptBuilder.WTE, c.vocabSize(), d);
        Tensor wpe = param(owner, params, "transformer.wpe.weight", c.blockSize(), d);
        PackedWeights head = Gemm.pack(wte.data(), 0, c.vocabSize(), d);
        Block[] blocks = new Block[c.nLayer()];
        for (int i = 0; i < blocks.length; i++) {
            String b = "transformer.h." + i + ".";
            blocks[i] = new Block(param(owner, params, b + "ln_1.weight", d), param(owner, params, b + "ln_1.bias", d),
                    packed(owner, params, b + "attn.c_attn.weight", 3 * d, d), param(owner, params, b + "attn.c_attn.bias", 3 * d).data(),
                    packed(owner, params, b + "attn.c_proj.weight", d, d), param(owner, params, b + "attn.c_proj.bias", d).data(),
                    param(owner, params, b + "ln_2.weight", d), param(owner, params, b + "ln_2.bias", d),
                    packed(owner, params, b + "mlp.c_fc.weight", 4 * d, d), param(owner, params, b + "mlp.c_fc.bias", 4 * d).data(),
                    packed(owner, params, b + "mlp.c_proj.weight", d, 4 * d), param(owner, params, b + "mlp.c_proj.bias", d).data());
        }
        return new GptWeights(wte, wpe, head, List.of(blocks), param(owner, params, "transformer.ln_f.weight", d),
                param(owner, params, "transformer.ln_f.bias", d));
    }

    private static Tensor param(String owner, Map<String, Tensor> params, String name, int... shape) {
        Tensor t = params.get(name);
        if (t == null) throw new IllegalArgumentException(owner + ": no parameter '" + name + "'");
        if (t.dtype() != DType.F32 || !Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(owner + ": parameter '" + name + "' is " + t.dtype().safetensorsName() + " "
                    + Tensor.shapeString(t.shape()) + ", expected F32 " + Tensor.shapeString(shape));
        }
        return t;
    }

    private static PackedWeights packed(String owner, Map<String, Tensor> params, String name, int n, int k) {
        return Gemm.pack(param(owner, params, name, n, k).data(), 0, n, k);
    }
}
