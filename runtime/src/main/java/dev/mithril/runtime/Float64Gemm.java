package dev.mithril.runtime;

/** F64 {@link Kernels#linear} on top of {@link Gemm#dgemm}, the bias added by its epilogue. */
final class Float64Gemm {
    private Float64Gemm() {}

    /** {@code out[m, n] = x[m, k] * w[n, k]^T + bias}. */
    static void linear(Tensor x, Tensor w, Tensor bias, Tensor out, int m, int n, int k) {
        double[] o = out.doubles();
        if (o == x.doubles()) throw new IllegalArgumentException("Kernels.linear: out must not share storage with x");
        // Empty rows (k = 0 or n = 0) still need leading dimensions of at least 1 for Gemm's bounds checks.
        int ld = Math.max(1, k);
        Gemm.dgemm(false, true, m, n, k, 1.0, x.doubles(), 0, ld, w.doubles(), 0, ld, 0.0, o, 0, Math.max(1, n),
                bias == null ? null : bias.doubles(), bias == null ? Epilogue.NONE : Epilogue.BIAS);
    }
}
