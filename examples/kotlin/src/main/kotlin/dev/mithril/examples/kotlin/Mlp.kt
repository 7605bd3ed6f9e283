package dev.mithril.examples.kotlin

import dev.mithril.dsl.Backend
import dev.mithril.dsl.Input
import dev.mithril.dsl.Level
import dev.mithril.dsl.Linear
import dev.mithril.dsl.Model
import dev.mithril.dsl.Name
import dev.mithril.dsl.Output
import dev.mithril.dsl.Relu
import dev.mithril.runtime.Tensor

/**
 * The seed MLP (784 → 1024 → 512 → 256 → 10 with ReLU) in Kotlin: the same model as the Java
 * `dev.mithril.examples.Mlp`, read by the same annotation processor through kapt, giving the same IR.
 * Layer names follow PyTorch's `nn.Sequential`, so its state dicts load directly.
 *
 * ```kotlin
 * MlpJavaFull.create().use { mlp ->                    // generated; MlpJavaNone / MlpJavaBasic alike
 *     mlp.load(Path.of("mlp.safetensors"))
 *     val logits = mlp.forward(Tensor.random(1, 32, 784))   // [32, 10]
 * }
 * ```
 */
@Model(backends = [Backend.JAVA], levels = [Level.NONE, Level.BASIC, Level.FULL])
interface Mlp {
    @Input(shape = ["batch", "784"]) fun x(): Tensor

    @Name("layers.0") @Linear(out = 1024) @Relu fun h1(x: Tensor): Tensor
    @Name("layers.2") @Linear(out = 512) @Relu fun h2(h1: Tensor): Tensor
    @Name("layers.4") @Linear(out = 256) @Relu fun h3(h2: Tensor): Tensor
    @Name("layers.6") @Output @Linear(out = 10) fun logits(h3: Tensor): Tensor
}
