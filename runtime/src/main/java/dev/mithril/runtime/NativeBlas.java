package dev.mithril.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * OpenBLAS's {@code cblas_sgemm}/{@code cblas_dgemm} through the Foreign Function & Memory API, for
 * {@link Gemm#useNative(boolean)}. The library is {@code libopenblas.so.0} (Debian's {@code libopenblas0-pthread}) or
 * the path in the system property {@code mithril.blas.library}. Java arrays are passed in place as heap segments
 * (critical downcalls: no copy; BLAS never calls back into Java). A missing library is reported once, by
 * {@link #loadError()}, and never throws.
 */
public final class NativeBlas {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
    private static final String DEFAULT_LIBRARY = "libopenblas.so.0";

    private static final MethodHandle SGEMM, DGEMM, SET_THREADS, GET_THREADS, CORE_NAME;
    private static final String LIBRARY, ERROR;

    static {
        String lib = System.getProperty("mithril.blas.library", DEFAULT_LIBRARY);
        MethodHandle s = null, d = null, set = null, get = null, core = null;
        String err = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup l = SymbolLookup.libraryLookup(lib, Arena.global());
            ValueLayout i = ValueLayout.JAVA_INT, p = ValueLayout.ADDRESS;
            Linker.Option critical = Linker.Option.critical(true);
            s = linker.downcallHandle(l.findOrThrow("cblas_sgemm"), FunctionDescriptor.ofVoid(i, i, i, i, i, i,
                    ValueLayout.JAVA_FLOAT, p, i, p, i, ValueLayout.JAVA_FLOAT, p, i), critical);
            d = linker.downcallHandle(l.findOrThrow("cblas_dgemm"), FunctionDescriptor.ofVoid(i, i, i, i, i, i,
                    ValueLayout.JAVA_DOUBLE, p, i, p, i, ValueLayout.JAVA_DOUBLE, p, i), critical);
            set = l.find("openblas_set_num_threads").map(a -> linker.downcallHandle(a, FunctionDescriptor.ofVoid(i))).orElse(null);
            get = l.find("openblas_get_num_threads").map(a -> linker.downcallHandle(a, FunctionDescriptor.of(i))).orElse(null);
            core = l.find("openblas_get_corename").map(a -> linker.downcallHandle(a, FunctionDescriptor.of(p))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            err = "native BLAS unavailable (" + lib + ": " + e.getMessage() + "); using the pure-Java GEMM";
            s = d = set = get = core = null;
        }
        SGEMM = s;
        DGEMM = d;
        SET_THREADS = set;
        GET_THREADS = get;
        CORE_NAME = core;
        LIBRARY = lib;
        ERROR = err;
    }

    private NativeBlas() {}

    /** Whether {@code cblas_sgemm} and {@code cblas_dgemm} were found. */
    public static boolean available() { return ERROR == null; }

    /** Why the library could not be used, or null when it can. */
    public static String loadError() { return ERROR; }

    /** The library name or path that was (or would have been) loaded. */
    public static String library() { return LIBRARY; }

    /** Sets OpenBLAS's own thread count ({@code openblas_set_num_threads}); no-op where it is missing. */
    public static void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("NativeBlas.setThreads: need at least 1 thread, got " + n);
        if (SET_THREADS == null) return;
        try {
            SET_THREADS.invokeExact(n);
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_set_num_threads failed", t);
        }
    }

    /** OpenBLAS's thread count, or -1 where the library or the function is missing. */
    public static int threads() {
        if (GET_THREADS == null) return -1;
        try {
            return (int) GET_THREADS.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_get_num_threads failed", t);
        }
    }

    /**
     * The CPU kernels OpenBLAS chose ({@code openblas_get_corename}, e.g. {@code SkylakeX} or {@code Prescott}), or
     * null where the library or the function is missing. OpenBLAS 0.3.21 falls back to its SSE3 {@code Prescott}
     * kernels on CPUs newer than it knows; {@code OPENBLAS_CORETYPE=SkylakeX} in the environment selects AVX-512.
     */
    public static String coreName() {
        if (CORE_NAME == null) return null;
        try {
            MemorySegment name = (MemorySegment) CORE_NAME.invokeExact();
            return name.equals(MemorySegment.NULL) ? null : name.reinterpret(64).getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_get_corename failed", t);
        }
    }

    /** Row-major {@code cblas_sgemm}; arguments as {@link Gemm#sgemm} (checked there). */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                             float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        require();
        try {
            SGEMM.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha,
                    MemorySegment.ofArray(a).asSlice(4L * aOff), lda, MemorySegment.ofArray(b).asSlice(4L * bOff), ldb, beta,
                    MemorySegment.ofArray(c).asSlice(4L * cOff), ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }

    /** Row-major {@code cblas_dgemm}; arguments as {@link Gemm#dgemm} (checked there). */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha, double[] a, int aOff, int lda,
                             double[] b, int bOff, int ldb, double beta, double[] c, int cOff, int ldc) {
        require();
        try {
            DGEMM.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha,
                    MemorySegment.ofArray(a).asSlice(8L * aOff), lda, MemorySegment.ofArray(b).asSlice(8L * bOff), ldb, beta,
                    MemorySegment.ofArray(c).asSlice(8L * cOff), ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_dgemm failed", t);
        }
    }

    private static void require() {
        if (ERROR != null) throw new IllegalStateException(ERROR);
    }
}
