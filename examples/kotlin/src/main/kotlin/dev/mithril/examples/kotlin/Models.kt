@file:JvmName("Models")

package dev.mithril.examples.kotlin

import dev.mithril.dsl.builder.ModelBuilder
import dev.mithril.dsl.ir.Graph

/**
 * Builds a model at run time with [ModelBuilder] as the receiver, so Kotlin code reads as the model:
 *
 * ```kotlin
 * val g = model("Mlp") {
 *     val x = input("x", "batch", 784)
 *     output("logits", x.linear("h1", 128).relu().linear("out", 10))
 * }
 * ```
 *
 * Shape errors throw [dev.mithril.dsl.ir.MithrilException] from the line inside [block] that made them.
 */
fun model(name: String, block: ModelBuilder.() -> Unit): Graph = ModelBuilder(name).apply(block).build()
