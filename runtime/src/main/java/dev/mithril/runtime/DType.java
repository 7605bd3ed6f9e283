package dev.mithril.runtime;

/**
 * Element types. Kernels compute in {@link #F32} today; the others are carried through the
 * IR, the safetensors reader and {@link Tensor} so that adding kernels for them needs no rework.
 */
public enum DType {
    F32(4, "F32", "float32"),
    F64(8, "F64", "float64"),
    F16(2, "F16", "float16"),
    BF16(2, "BF16", "bfloat16"),
    I32(4, "I32", "int32"),
    I64(8, "I64", "int64");

    private final int byteSize;
    private final String safetensorsName;
    private final String displayName;

    DType(int byteSize, String safetensorsName, String displayName) {
        this.byteSize = byteSize;
        this.safetensorsName = safetensorsName;
        this.displayName = displayName;
    }

    /** Bytes per element. */
    public int byteSize() { return byteSize; }

    /** The dtype's name in a safetensors header, e.g. {@code "F32"}. */
    public String safetensorsName() { return safetensorsName; }

    /** The PyTorch-style name, e.g. {@code "float32"}. */
    public String displayName() { return displayName; }

    public boolean isFloatingPoint() { return this == F32 || this == F64 || this == F16 || this == BF16; }

    /** The dtype a safetensors header calls {@code name}, or {@code null} if Mithril does not know it. */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) if (t.safetensorsName.equals(name)) return t;
        return null;
    }

    @Override public String toString() { return displayName; }
}
