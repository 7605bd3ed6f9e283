package dev.mithril.examples.zoo;

import dev.mithril.dsl.Add;
import dev.mithril.dsl.Embedding;
import dev.mithril.dsl.Hyper;
import dev.mithril.dsl.Input;
import dev.mithril.dsl.LayerNorm;
import dev.mithril.dsl.Model;
import dev.mithril.dsl.Output;
import dev.mithril.dsl.Positions;
import dev.mithril.dsl.Repeat;
import dev.mithril.dsl.With;
import dev.mithril.runtime.Tensor;

/**
 * nanoGPT's {@code transformer} module dict: token table {@code wte}, learned positions {@code wpe} looked up
 * at {@code 0..T-1}, six {@link GptBlock}s {@code h.0 .. h.5}, and the final LayerNorm {@code ln_f}. Embedded in
 * {@link Gpt} as {@code transformer}, which prefixes every parameter as PyTorch does.
 */
@Model(generate = false)
public interface GptTransformer {
    @Hyper int vocabSize();
    @Hyper int blockSize();
    @Hyper int nHead();
    @Hyper int dModel();

    @Input(shape = {"batch", "T"}, dtype = "int64") Tensor idx();

    @Embedding(vocabExpr = "vocabSize", dimExpr = "dModel") Tensor wte(Tensor idx);
    @Positions(axis = 1) Tensor pos(Tensor idx);
    @Embedding(vocabExpr = "blockSize", dimExpr = "dModel") Tensor wpe(Tensor pos);
    @Add Tensor x(Tensor wte, Tensor wpe);
    @Repeat(6) @With({"dModel=dModel", "nHead=nHead"}) GptBlock h(Tensor x);
    @Output @LayerNorm Tensor ln_f(Tensor h);
}
