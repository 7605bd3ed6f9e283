package dev.mithril.examples.zoo;

import dev.mithril.dsl.Add;
import dev.mithril.dsl.CausalAttention;
import dev.mithril.dsl.Gelu;
import dev.mithril.dsl.Hyper;
import dev.mithril.dsl.Input;
import dev.mithril.dsl.LayerNorm;
import dev.mithril.dsl.Linear;
import dev.mithril.dsl.Model;
import dev.mithril.dsl.Name;
import dev.mithril.dsl.Output;
import dev.mithril.runtime.Tensor;

/**
 * One pre-LayerNorm block of nanoGPT ({@code reference_models.Block}): {@code x + attn(ln_1(x))}, then
 * {@code + mlp(ln_2(.))} with an exact-GELU MLP four times as wide. Embedded in {@link GptTransformer} with
 * {@code @Repeat}; parameters are named as the PyTorch module's ({@code ln_1}, {@code attn.c_attn}, ...).
 */
@Model(generate = false)
public interface GptBlock {
    @Hyper int dModel();
    @Hyper int nHead();

    @Input(shape = {"batch", "T", "dModel"}) Tensor x();

    @Name("ln_1") @LayerNorm Tensor ln1(Tensor x);
    @Name("attn.c_attn") @Linear(outExpr = "3*dModel") Tensor qkv(Tensor ln1);
    @CausalAttention(headsExpr = "nHead") Tensor att(Tensor qkv);
    @Name("attn.c_proj") @Linear(outExpr = "dModel") Tensor attProj(Tensor att);
    @Add Tensor x1(Tensor x, Tensor attProj);
    @Name("ln_2") @LayerNorm Tensor ln2(Tensor x1);
    @Name("mlp.c_fc") @Linear(outExpr = "4*dModel") @Gelu Tensor fc(Tensor ln2);
    @Name("mlp.c_proj") @Linear(outExpr = "dModel") Tensor mlpProj(Tensor fc);
    @Output @Add Tensor out(Tensor x1, Tensor mlpProj);
}
