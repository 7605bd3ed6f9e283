package dev.mithril.dsl.ops;

import static dev.mithril.dsl.ops.Shapes.assertNames;
import static dev.mithril.dsl.ops.Shapes.error;
import static dev.mithril.dsl.ops.Shapes.infer;
import static dev.mithril.dsl.ops.Shapes.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mithril.dsl.ir.IrError;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.runtime.DType;
import org.junit.jupiter.api.Test;

/** Shape rules of the layer operations, valid and invalid. */
class LayerOpsTest {
    private static void contains(IrError e, String text) { assertTrue(e.message().contains(text), e::format); }

    @Test
    void conv2dComputesTheOutputSizeWithStridePaddingDilationAndGroups() {
        assertEquals(t("batch", "16", "32", "32"), infer(new Conv2d(1, 1, 1, 1), t("batch", "3", "32", "32"), t("16", "3", "3", "3"), t("16")));
        assertEquals(t("batch", "64", "112", "112"), infer(new Conv2d(2, 3, 1, 1), t("batch", "3", "224", "224"), t("64", "3", "7", "7")));
        assertEquals(t("2", "6", "3", "3"), infer(new Conv2d(2, 2, 1, 1, 2, 2, 2), t("2", "4", "7", "6"), t("6", "2", "3", "2")));
    }

    @Test
    void conv2dErrorsNameInputWeightAndShapes() {
        TensorType x = t("batch", "3", "8", "8"), w = t("16", "4", "3", "3");
        IrError e = error(new Conv2d(1, 0, 1, 1), x, w);
        assertNames(e, IrError.SHAPE_MISMATCH, x, w);
        contains(e, "expects 4 input channels");
        TensorType big = t("16", "3", "9", "9");
        assertNames(error(new Conv2d(1, 0, 1, 1), x, big), IrError.SHAPE_MISMATCH, x);
        assertEquals(IrError.SHAPE_MISMATCH, error(new Conv2d(1, 0, 1, 1), x, t("16", "3", "3", "3"), t("8")).tag());
        assertEquals(IrError.SHAPE_MISMATCH, error(new Conv2d(1, 0, 1, 1), t("batch", "3", "8"), t("16", "3", "3", "3")).tag());
        assertEquals(IrError.INVALID_ATTRIBUTE, error(new Conv2d(0, 0, 1, 1), x, t("16", "3", "3", "3")).tag());
        contains(error(new Conv2d(1, 0, 1, 2), t("1", "4", "8", "8"), t("6", "1", "3", "3")), "expects 2 input channels");
    }

    @Test
    void poolingsShrinkTheSpatialDimensions() {
        assertEquals(t("batch", "64", "56", "56"), infer(new MaxPool2d(3, 2, 1), t("batch", "64", "112", "112")));
        assertEquals(t("batch", "3", "4", "3"), infer(new AvgPool2d(3, 2, 1), t("batch", "3", "7", "6")));
        assertEquals(t("batch", "512", "1", "1"), infer(new AdaptiveAvgPool2d(1, 1), t("batch", "512", "7", "7")));
        assertEquals(IrError.INVALID_ATTRIBUTE, error(new MaxPool2d(3, 2, 2), t("1", "3", "8", "8")).tag());
        TensorType x = t("1", "3", "2", "2");
        assertNames(error(new AvgPool2d(3, 1, 0), x), IrError.SHAPE_MISMATCH, x);
        assertEquals(IrError.INVALID_ATTRIBUTE, error(new AdaptiveAvgPool2d(0, 1), x).tag());
        assertEquals(IrError.SHAPE_MISMATCH, error(new MaxPool2d(2, 2, 0), t("batch", "8")).tag());
    }

    @Test
    void batchNormNeedsChannelVectorsAndAnInt64Counter() {
        TensorType c = t("4"), count = t(DType.I64);
        assertEquals(t("batch", "4", "8", "8"), infer(new BatchNorm(), t("batch", "4", "8", "8"), c, c, c, c, count));
        assertEquals(t("batch", "4"), infer(new BatchNorm(), t("batch", "4"), c, c, c, c, count));
        TensorType x = t("batch", "3", "8", "8");
        IrError e = error(new BatchNorm(), x, c, c, c, c, count);
        assertNames(e, IrError.SHAPE_MISMATCH, x, c);
        assertEquals(IrError.DTYPE_MISMATCH, error(new BatchNorm(), t("batch", "4"), c, c, c, c, t()).tag());
        assertEquals(IrError.INVALID_ATTRIBUTE, error(new BatchNorm(0, 0.1), t("batch", "4"), c, c, c, c, count).tag());
    }

    @Test
    void layerNormNormalizesTheLastDimension() {
        assertEquals(t("batch", "seq", "64"), infer(new LayerNorm(), t("batch", "seq", "64"), t("64"), t("64")));
        TensorType x = t("batch", "32"), w = t("64");
        assertNames(error(new LayerNorm(), x, w, w), IrError.SHAPE_MISMATCH, x, w);
    }

    @Test
    void embeddingAppendsTheRowWidthToTheIdsShape() {
        assertEquals(t("batch", "seq", "16"), infer(new Embedding(), t(DType.I64, "batch", "seq"), t("100", "16")));
        TensorType ids = t("batch", "seq");
        assertNames(error(new Embedding(), ids, t("100", "16")), IrError.DTYPE_MISMATCH, ids);
        assertEquals(IrError.SHAPE_MISMATCH, error(new Embedding(), t(DType.I64, "batch"), t("100")).tag());
    }

    @Test
    void concatAddsUpTheAxisAndChecksTheRest() {
        assertEquals(t("batch", "7"), infer(new Concat(-1), t("batch", "3"), t("batch", "4")));
        assertEquals(t("5", "2"), infer(new Concat(0), t("2", "2"), t("3", "2")));
        TensorType a = t("batch", "3"), b = t("2", "4");
        assertNames(error(new Concat(1), a, b), IrError.SHAPE_MISMATCH, a, b);
        assertEquals(IrError.SHAPE_MISMATCH, error(new Concat(0), t("batch", "3"), t("batch", "3")).tag());
        assertEquals(IrError.INVALID_ATTRIBUTE, error(new Concat(2), a, a).tag());
    }

    @Test
    void sliceFollowsPythonBoundsAndRejectsEmptySlices() {
        assertEquals(t("batch", "4"), infer(new Slice(1, 0, 4, 1), t("batch", "12")));
        assertEquals(t("batch", "3"), infer(new Slice(-1, -3, 100, 1), t("batch", "12")));
        assertEquals(t("batch", "6"), infer(new Slice(1, 1, 12, 2), t("batch", "12")));
        assertEquals(6, new Slice(1, 1, 12, 2).length(12));
        assertEquals(9, new Slice(-1, -3, 100, 1).first(12));
        // an axis of symbolic size: bounds both from the end or both from the start fix the length
        assertEquals(t("batch", "1", "8"), infer(new Slice(1, -1, Slice.END, 1), t("batch", "T", "8")));
        assertEquals(t("batch", "2", "8"), infer(new Slice(1, -5, -1, 2), t("batch", "T", "8")));
        assertEquals(t("batch", "3", "8"), infer(new Slice(1, 2, 5, 1), t("batch", "T", "8")));
        assertEquals(2, new Slice(1, -3, Slice.END, 2).symbolicLength(), "x[:, -3::2]");
        assertEquals(IrError.SHAPE_MISMATCH, error(new Slice(1, 0, Slice.END, 1), t("batch", "T", "8")).tag(), "the whole of T");
        assertEquals(IrError.SHAPE_MISMATCH, error(new Slice(1, -2, 5, 1), t("batch", "T", "8")).tag(), "from the end to an index");
        assertEquals(IrError.INVALID_ATTRIBUTE, error(new Slice(1, -1, -1, 1), t("batch", "T", "8")).tag(), "empty");
        TensorType x = t("batch", "12");
        assertNames(error(new Slice(1, 5, 5, 1), x), IrError.INVALID_ATTRIBUTE, x);
        assertEquals(IrError.INVALID_ATTRIBUTE, error(new Slice(1, 0, 4, 0), x).tag());
        assertEquals(t("1", "12"), infer(new Slice(0, 0, 1, 1), x), "the first of a batch: its length does not depend on the batch");
        assertEquals(IrError.SHAPE_MISMATCH, error(new Slice(0, 1, Slice.END, 1), x).tag(), "all but the first of a batch");
    }

    @Test
    void causalAttentionTakesTheFusedProjection() {
        assertEquals(t("batch", "seq", "64"), infer(new CausalAttention(4), t("batch", "seq", "192")));
        TensorType x = t("batch", "seq", "190");
        assertNames(error(new CausalAttention(4), x), IrError.SHAPE_MISMATCH, x);
        assertEquals(IrError.INVALID_ATTRIBUTE, error(new CausalAttention(0), t("batch", "seq", "192")).tag());
        assertEquals(IrError.SHAPE_MISMATCH, error(new CausalAttention(1), t("batch", "192")).tag());
    }

    @Test
    void cachedAttentionTakesNewPositionsCachesAndTheirInt64Positions() {
        TensorType qkv = t("batch", "T", "192"), cache = t("batch", "4", "100", "16"), pos = t(DType.I64, "T");
        assertEquals(t("batch", "T", "64"), infer(new CachedAttention(4), qkv, cache, cache, pos));
        assertEquals(t("batch", "1", "64"), infer(new CachedAttention(4), t("batch", "1", "192"), cache, cache, t(DType.I64, "1")));
        IrError positions = error(new CachedAttention(4), t("batch", "2", "192"), cache, cache, t(DType.I64, "1"));
        contains(positions, "int64 [2]");
        contains(error(new CachedAttention(4), t("batch", "T", "190"), cache, cache, pos), "3 x heads x head size");
        IrError wrongCache = error(new CachedAttention(4), qkv, t("batch", "4", "100", "8"), cache, pos);
        contains(wrongCache, "[batch, 4, Tmax, 16]");
        IrError floatPos = error(new CachedAttention(4), qkv, cache, cache, t("T"));
        contains(floatPos, "int64 [T]");
        assertEquals(IrError.SHAPE_MISMATCH, error(new CachedAttention(4), qkv, cache, t("batch", "4", "50", "16"), pos).tag());
        assertTrue(!new CachedAttention(4).isDifferentiable() && !new CachedAttention(4).isPure(), "it updates its caches");
    }

    @Test
    void argmaxGivesInt64IndicesWithoutTheAxis() {
        assertEquals(t(DType.I64, "batch"), infer(new Argmax(-1, false), t("batch", "10")));
        assertEquals(t(DType.I64, "batch", "1"), infer(new Argmax(1, true), t("batch", "10")));
        assertEquals(IrError.INVALID_ATTRIBUTE, error(new Argmax(2, false), t("batch", "10")).tag());
    }

    @Test
    void gradientOpsCheckTheGradientShape() {
        TensorType x = t("batch", "3", "8", "8"), g = t("batch", "3", "3", "3");
        IrError e = error(new Pool2dGrad(new MaxPool2d(2, 2, 0)), g, x);
        assertNames(e, IrError.SHAPE_MISMATCH, g);
        assertEquals(x, infer(new Pool2dGrad(new MaxPool2d(2, 2, 0)), t("batch", "3", "4", "4"), x));
        assertEquals(t("12"), infer(new SliceGrad(new Slice(0, 2, 8, 3)), t("2"), t("12")));
    }
}
