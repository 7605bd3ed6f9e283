package dev.mithril.examples.zoo;

import static dev.mithril.dsl.Backend.JAVA;
import static dev.mithril.dsl.Level.BASIC;
import static dev.mithril.dsl.Level.FULL;
import static dev.mithril.dsl.Level.NONE;

import dev.mithril.dsl.Hyper;
import dev.mithril.dsl.Input;
import dev.mithril.dsl.Linear;
import dev.mithril.dsl.Model;
import dev.mithril.dsl.Output;
import dev.mithril.dsl.With;
import dev.mithril.runtime.Tensor;

/**
 * nanoGPT's decoder as an annotated model, at the examples' size ({@link GptConfig#SEED}: 6 layers, 8 heads,
 * width 512, 1024 positions, 50257 tokens). The output head {@code lm_head} is tied to the token table: it
 * reads {@code transformer.wte.weight} and has no parameter of its own, so a nanoGPT state dict (without its
 * duplicate {@code lm_head.weight}) loads as it is. The same graph as {@code Zoo.gpt(50257, 1024, 6, 8, 512)},
 * with the same parameters.
 *
 * <pre>{@code
 * try (GptModel gpt = GptJavaFull.create()) {
 *     Tensor logits = gpt.forward(Tensor.ofLongs(ids, 1, ids.length));   // [1, T, 50257]
 * }
 * }</pre>
 */
@Model(backends = JAVA, levels = {NONE, BASIC, FULL})
public interface Gpt {
    @Hyper(50257) int vocabSize();
    @Hyper(1024) int blockSize();
    @Hyper(8) int nHead();
    @Hyper(512) int dModel();

    @Input(shape = {"batch", "T"}, dtype = "int64") Tensor idx();

    @With({"vocabSize=vocabSize", "blockSize=blockSize", "nHead=nHead", "dModel=dModel"}) GptTransformer transformer(Tensor idx);
    @Output @Linear(tiedTo = "transformer.wte.weight", bias = false) Tensor logits(Tensor transformer);
}
