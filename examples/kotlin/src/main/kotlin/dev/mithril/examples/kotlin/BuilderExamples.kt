@file:JvmName("BuilderExamples")

package dev.mithril.examples.kotlin

import dev.mithril.dsl.ir.Graph

/**
 * A small two-layer head built at run time in Kotlin's operator syntax: `+`, `-`, `*` and `/` on
 * values (and on values and floats) add nodes, exactly as `plus`, `minus`, `times` and `div` do from Java.
 *
 * `shift` is a learned per-feature offset; the residual `+ x` keeps the input's scale.
 */
fun shiftedHead(): Graph = model("ShiftedHead") {
    val x = input("x", "batch", 64)
    val shift = parameter("shift", 64, 64)
    val h = (x.linear("h1", 64).relu() + shift)
    val mixed = h * 2f + x
    output("logits", mixed.linear("out", 10))
}

/** The seed MLP in graph form, with parameters named like PyTorch's `nn.Sequential`. */
fun mlpGraph(): Graph = model("Mlp") {
    val x = input("x", "batch", 784)
    val h1 = x.linear("layers.0", 1024).relu()
    val h2 = h1.linear("layers.2", 512).relu()
    val h3 = h2.linear("layers.4", 256).relu()
    output("logits", h3.linear("layers.6", 10))
}
