package dev.mithril.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format: an
 * 8-byte little-endian header length, a UTF-8 JSON header, then the raw little-endian tensor data.
 * Malformed files raise {@link SafetensorsFormatException} naming the file and the problem.
 *
 * <pre>{@code
 * Map<String, Tensor> params = Safetensors.read(Path.of("mlp.safetensors"));
 * Safetensors.write(Path.of("copy.safetensors"), params, Map.of("note", "copied"));
 * }</pre>
 */
public final class Safetensors {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private Safetensors() {}

    /** Opens, maps and validates a file; close the result to unmap it. */
    public static SafetensorsFile open(Path path) { return SafetensorsFile.open(path); }

    /** Every tensor of a file as a heap copy, in file order. */
    public static Map<String, Tensor> read(Path path) {
        try (SafetensorsFile f = open(path)) {
            return f.all();
        }
    }

    /**
     * Writes {@code tensors} and optional {@code metadata} (may be null or empty). The output is
     * deterministic and matches the Python writers: tensors sorted by name, data contiguous in that order,
     * compact JSON with {@code __metadata__} first, header padded with spaces to a multiple of 8.
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        List<String> names = new ArrayList<>(tensors.keySet());
        names.sort(Safetensors::compareCodePoints);
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            Map<String, Object> meta = new LinkedHashMap<>();
            // Ordered maps keep their order (a file read back writes identically); others are sorted for determinism.
            if (metadata instanceof java.util.SequencedMap<String, String>) meta.putAll(metadata);
            else metadata.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> meta.put(e.getKey(), e.getValue()));
            header.put("__metadata__", meta);
        }
        long offset = 0;
        for (String name : names) {
            if (name.equals("__metadata__")) throw new IllegalArgumentException("Safetensors.write: \"__metadata__\" is reserved and cannot name a tensor");
            Tensor t = tensors.get(name);
            long bytes = (long) t.size() * t.dtype().byteSize();
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", t.dtype().safetensorsName());
            e.put("shape", t.shape());
            e.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(name, e);
            offset += bytes;
        }
        StringBuilder sb = new StringBuilder();
        Json.write(sb, header);
        byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        long total = 8L + padded + offset;
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                 Arena arena = Arena.ofConfined()) {
                MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
                out.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE), 0, padded);
                MemorySegment.copy(json, 0, out, ValueLayout.JAVA_BYTE, 8, json.length);
                for (int i = json.length; i < padded; i++) out.set(ValueLayout.JAVA_BYTE, 8 + i, (byte) ' ');
                long pos = 8L + padded;
                for (String name : names) pos += writeData(tensors.get(name), out, pos);
                out.force();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Safetensors.write: cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    private static long writeData(Tensor t, MemorySegment out, long pos) {
        int n = t.size();
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(t.data(), 0, out, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE), pos, n);
            case F64 -> MemorySegment.copy(t.doubles(), 0, out, ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(LE), pos, n);
            case I64 -> MemorySegment.copy(t.longs(), 0, out, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE), pos, n);
            case I32 -> MemorySegment.copy(t.ints(), 0, out, ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE), pos, n);
            case F16, BF16 -> {
                if (!t.isHeap()) {
                    MemorySegment.copy(t.segment(), 0, out, pos, 2L * n);
                } else { // values were converted to a float[] (and maybe changed): round them back
                    float[] f = t.data();
                    ValueLayout.OfShort s16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
                    for (int i = 0; i < n; i++) out.set(s16, pos + 2L * i, t.dtype() == DType.F16 ? Float.floatToFloat16(f[i]) : toBf16(f[i]));
                }
            }
        }
        return (long) n * t.dtype().byteSize();
    }

    /** Round to nearest even, keeping NaN a NaN. */
    private static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** Python's {@code sorted} order on str: by Unicode code point. */
    private static int compareCodePoints(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
