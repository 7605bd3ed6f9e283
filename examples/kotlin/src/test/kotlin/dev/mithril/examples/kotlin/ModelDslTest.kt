package dev.mithril.examples.kotlin

import dev.mithril.dsl.ir.IrError
import dev.mithril.dsl.ir.MithrilException
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ModelDslTest {
    @Test
    fun operatorsBuildTheExpectedNodes() {
        assertEquals(
            """
            graph ShiftedHead {
              %x = input(type=float32[batch, 64]) : float32[batch, 64]
              %shift = parameter(name=shift, type=float32[64]) : float32[64]
              %h1.weight = parameter(name=h1.weight, type=float32[64, 64]) : float32[64, 64]
              %h1.bias = parameter(name=h1.bias, type=float32[64]) : float32[64]
              %h1 = linear(%x, %h1.weight, %h1.bias) : float32[batch, 64]
              %relu_1 = relu(%h1) : float32[batch, 64]
              %add_1 = add(%relu_1, %shift) : float32[batch, 64]
              %const_1 = constant(type=float32[], values=[2.0]) : float32[]
              %mul_1 = mul(%add_1, %const_1) : float32[batch, 64]
              %add_2 = add(%mul_1, %x) : float32[batch, 64]
              %out.weight = parameter(name=out.weight, type=float32[10, 64]) : float32[10, 64]
              %out.bias = parameter(name=out.bias, type=float32[10]) : float32[10]
              %out = linear(%add_2, %out.weight, %out.bias) : float32[batch, 10]
              output logits = %out
            }
            """.trimIndent() + "\n",
            shiftedHead().toText(),
        )
    }

    @Test
    fun modelHelperReadsLikeTheModel() {
        val g = model("Mlp") {
            val x = input("x", "batch", 784)
            output("logits", x.linear("out", 10))
        }
        assertEquals(listOf("x", "out.weight", "out.bias", "out"), g.nodes().map { it.name() })
        assertEquals("float32[batch, 10]", g.outputs()["logits"]!!.type().toString())
    }

    @Test
    fun shapeErrorsThrowFromTheOffendingLine() {
        val e = assertThrows(MithrilException::class.java) {
            model("Broken") {
                val x = input("x", "batch", 784)
                val h = x.linear("h", 32)
                output("y", h - input("z", "batch", 31))
            }
        }
        assertEquals(IrError.SHAPE_MISMATCH, e.errors()[0].tag())
        assertTrue(e.message!!.contains("'h' [batch, 32]") && e.message!!.contains("'z' [batch, 31]"), e.message)
        assertTrue(e.stackTrace.any { it.className.startsWith(ModelDslTest::class.java.name) })
    }
}
