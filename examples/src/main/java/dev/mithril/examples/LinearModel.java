package dev.mithril.examples;

import dev.mithril.dsl.Input;
import dev.mithril.dsl.Linear;
import dev.mithril.dsl.Model;
import dev.mithril.dsl.Name;
import dev.mithril.dsl.Output;
import dev.mithril.runtime.Tensor;

/**
 * One linear layer, {@code y = x·Wᵀ + b} with 1024 features in and out: the smallest model that
 * exercises the GEMM path, and the one the benchmarks compare against a plain loop. Its parameters
 * are {@code linear.weight [1024, 1024]} and {@code linear.bias [1024]}, as in a PyTorch module
 * holding {@code self.linear = nn.Linear(1024, 1024)}.
 *
 * <pre>{@code
 * try (LinearModelModel m = LinearModelJavaFull.create(42)) {   // seeded PyTorch-style init
 *     Tensor y = m.forward(Tensor.random(7, 16, 1024));         // [16, 1024]
 * }
 * }</pre>
 */
@Model
public interface LinearModel {
    @Input(shape = {"batch", "1024"}) Tensor x();

    @Name("linear") @Output @Linear(out = 1024) Tensor y(Tensor x);
}
