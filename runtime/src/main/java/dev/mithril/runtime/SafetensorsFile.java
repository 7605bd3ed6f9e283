package dev.mithril.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open, validated safetensors file, memory-mapped. {@link #get} copies a tensor to the heap, so the
 * result outlives {@link #close()}; {@link #view} returns an off-heap F32 view valid only while open.
 *
 * <pre>{@code
 * try (SafetensorsFile f = Safetensors.open(Path.of("linear.safetensors"))) {
 *     Tensor w = f.get("param.linear.weight");
 * }
 * }</pre>
 */
public final class SafetensorsFile implements AutoCloseable {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final SafetensorsHeader header;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, SafetensorsHeader header) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.header = header;
    }

    static SafetensorsFile open(Path path) {
        String file = path.toString();
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw SafetensorsHeader.fail(file, "file has " + size + " bytes, shorter than the 8-byte header length");
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long n = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE), 0);
            if (n < 0 || n > size - 8) throw SafetensorsHeader.fail(file, "header length " + Long.toUnsignedString(n) + " is larger than the " + (size - 8) + " bytes after it");
            if (n > SafetensorsHeader.MAX_HEADER) throw SafetensorsHeader.fail(file, "header length " + n + " exceeds the 100 MiB limit");
            SafetensorsHeader h = SafetensorsHeader.parse(file, all.asSlice(8, n).asByteBuffer(), size - 8 - n);
            return new SafetensorsFile(path, arena, all.asSlice(8 + n), h);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("safetensors file " + file + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The file's path. */
    public Path path() { return path; }

    /** The {@code __metadata__} map (empty if absent). */
    public Map<String, String> metadata() { return header.metadata; }

    /** Tensor names in header order. */
    public List<String> names() { return new ArrayList<>(header.tensors.keySet()); }

    /** Header entry of {@code name}. @throws IllegalArgumentException if there is no such tensor */
    public TensorInfo info(String name) {
        TensorInfo t = header.tensors.get(name);
        if (t == null) throw new IllegalArgumentException("safetensors file " + path + ": no tensor named \"" + name + "\"");
        return t;
    }

    /**
     * A heap copy of tensor {@code name}: F32 as {@code float[]}, F64 {@code double[]}, I64 {@code long[]},
     * I32 {@code int[]}; F16 and BF16 are converted to F32.
     */
    public Tensor get(String name) {
        TensorInfo t = info(name);
        MemorySegment s = slice(t);
        int n = (int) t.elements();
        int[] shape = t.shape();
        return switch (t.dtype()) {
            case F32 -> { float[] a = new float[n]; MemorySegment.copy(s, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE), 0, a, 0, n); yield Tensor.of(a, shape); }
            case F64 -> { double[] a = new double[n]; MemorySegment.copy(s, ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(LE), 0, a, 0, n); yield Tensor.of(a, shape); }
            case I64 -> { long[] a = new long[n]; MemorySegment.copy(s, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE), 0, a, 0, n); yield Tensor.ofLongs(a, shape); }
            case I32 -> { int[] a = new int[n]; MemorySegment.copy(s, ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE), 0, a, 0, n); yield Tensor.ofInts(a, shape); }
            case F16, BF16 -> Tensor.of(Tensor.halfToFloat(t.dtype(), s, n), shape);
        };
    }

    /** A zero-copy view of tensor {@code name} in the mapped file (any dtype); valid only until {@link #close()}. */
    public Tensor view(String name) {
        TensorInfo t = info(name);
        return Tensor.ofSegment(t.dtype(), slice(t), null, t.shape());
    }

    private MemorySegment slice(TensorInfo t) {
        if (!arena.scope().isAlive()) throw new IllegalStateException("safetensors file " + path + " is closed");
        return data.asSlice(t.begin(), t.end() - t.begin());
    }

    /** Heap copies of every tensor, in header order. */
    public Map<String, Tensor> all() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String name : header.tensors.keySet()) m.put(name, get(name));
        return m;
    }

    /** Unmaps the file. Tensors from {@link #get} stay valid; views from {@link #view} do not. */
    @Override public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
