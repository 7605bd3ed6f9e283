package dev.mithril.examples.kotlin

import dev.mithril.runtime.Tensor
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.abs
import kotlin.math.max

/** The Kotlin MLP, processed through kapt: generated classes run, and the IR is the Java model's. */
class KotlinMlpTest {
    private fun resource(path: String): String {
        val stream = javaClass.classLoader.getResourceAsStream(path)
        assertNotNull(stream, "missing resource $path")
        return stream!!.use { it.readBytes().toString(Charsets.UTF_8) }
    }

    private fun relativeError(actual: Tensor, expected: Tensor): Double {
        assertArrayEquals(expected.shape(), actual.shape())
        var diff = 0.0
        var scale = 0.0
        for (i in 0 until expected.size()) {
            diff = max(diff, abs(actual.data()[i].toDouble() - expected.data()[i]))
            scale = max(scale, abs(expected.data()[i].toDouble()))
        }
        assertTrue(scale > 0, "expected output is all zeros")
        return diff / scale
    }

    @Test
    fun sameModelInKotlinCompilesToTheSameIr() {
        val kotlinIr = resource("META-INF/mithril/dev.mithril.examples.kotlin.Mlp.ir")
        val javaIr = resource("META-INF/mithril/dev.mithril.examples.Mlp.ir")
        assertTrue(kotlinIr.startsWith("graph Mlp {\n"), kotlinIr)
        assertEquals(javaIr, kotlinIr)
    }

    @Test
    fun kaptGeneratedLevelsRunAndAgree() {
        MlpJavaNone.create(17).use { none ->
            MlpJavaBasic.create().use { basic ->
                MlpJavaFull.create().use { full ->
                    basic.load(none.parameters())
                    full.load(none.parameters())
                    val x = Tensor.random(3, 6, 784)
                    val y = none.forward(x)
                    assertArrayEquals(intArrayOf(6, 10), y.shape())
                    assertTrue(relativeError(basic.forward(x), y) <= 1e-5)
                    assertTrue(relativeError(full.forward(x), y) <= 1e-5)
                }
            }
        }
    }

    @Test
    fun kotlinAndJavaModelsComputeTheSameWithTheSameWeights() {
        MlpJavaFull.create(23).use { kotlinMlp ->
            dev.mithril.examples.MlpJavaFull.create().use { javaMlp ->
                assertEquals(kotlinMlp.parameters().keys.toList(), javaMlp.parameters().keys.toList())
                javaMlp.load(kotlinMlp.parameters())
                val x = Tensor.random(4, 2, 784)
                // Same generated code and weights; not bitwise only because the GEMM's thread split may vary.
                assertTrue(relativeError(kotlinMlp.forward(x), javaMlp.forward(x)) <= 1e-6)
            }
        }
    }
}
