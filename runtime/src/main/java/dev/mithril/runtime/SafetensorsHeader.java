package dev.mithril.runtime;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parses and validates a safetensors JSON header against the size of the data section that follows it. */
final class SafetensorsHeader {
    /** Same cap as the reference implementation: a larger header is almost certainly corruption. */
    static final long MAX_HEADER = 100L << 20;

    final Map<String, String> metadata;
    final Map<String, TensorInfo> tensors; // file (header) order

    private SafetensorsHeader(Map<String, String> metadata, Map<String, TensorInfo> tensors) {
        this.metadata = metadata;
        this.tensors = tensors;
    }

    static SafetensorsHeader parse(String file, ByteBuffer headerBytes, long dataSize) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headerBytes).toString();
        } catch (CharacterCodingException e) {
            throw fail(file, "header is not valid UTF-8");
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.ParseException e) {
            throw fail(file, "header is not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> map)) throw fail(file, "header is not a JSON object");
        Map<String, String> meta = new LinkedHashMap<>();
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> mm)) throw fail(file, "__metadata__ is not an object");
                for (Map.Entry<?, ?> me : mm.entrySet()) {
                    if (!(me.getValue() instanceof String v)) throw fail(file, "__metadata__ value for \"" + me.getKey() + "\" is not a string");
                    meta.put((String) me.getKey(), v);
                }
                continue;
            }
            infos.put(name, entry(file, name, e.getValue(), dataSize));
        }
        checkCoverage(file, infos, dataSize);
        return new SafetensorsHeader(Collections.unmodifiableMap(meta), Collections.unmodifiableMap(infos));
    }

    private static TensorInfo entry(String file, String name, Object v, long dataSize) {
        String where = "tensor \"" + name + "\"";
        if (!(v instanceof Map<?, ?> m)) throw fail(file, where + " is not an object");
        if (!(m.get("dtype") instanceof String dt)) throw fail(file, where + " has no string \"dtype\"");
        DType dtype = DType.fromSafetensors(dt);
        if (dtype == null) throw fail(file, where + " has unknown or unsupported dtype \"" + dt + "\"");
        if (!(m.get("shape") instanceof List<?> sl)) throw fail(file, where + " has no \"shape\" array");
        int[] shape = new int[sl.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = integer(file, where + " shape", sl.get(i));
            if (d < 0) throw fail(file, where + " has negative dimension " + d + " in shape " + sl);
            if (d > Integer.MAX_VALUE) throw fail(file, where + " has dimension " + d + " larger than 2^31-1");
            shape[i] = (int) d;
            elements = Math.multiplyHigh(elements, d) != 0 ? Long.MAX_VALUE : elements * d;
        }
        if (elements > Integer.MAX_VALUE) throw fail(file, where + " has " + elements + " elements, more than 2^31-1");
        if (!(m.get("data_offsets") instanceof List<?> ol) || ol.size() != 2) throw fail(file, where + " has no [begin, end] \"data_offsets\"");
        long begin = integer(file, where + " data_offsets", ol.get(0)), end = integer(file, where + " data_offsets", ol.get(1));
        if (begin < 0 || end < 0) throw fail(file, where + " has negative data_offsets [" + begin + ", " + end + "]");
        if (end < begin) throw fail(file, where + " has data_offsets end " + end + " < begin " + begin);
        long bytes = elements * dtype.byteSize();
        if (end - begin != bytes) {
            throw fail(file, where + " spans " + (end - begin) + " bytes but " + dtype.safetensorsName() + " " + Tensor.shapeString(shape)
                    + " needs " + bytes);
        }
        if (end > dataSize) throw fail(file, where + " data_offsets [" + begin + ", " + end + ") lie outside the data section of " + dataSize + " bytes");
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long integer(String file, String where, Object o) {
        if (o instanceof Long l) return l;
        throw fail(file, where + ": " + o + " is not a 64-bit integer");
    }

    /** Tensors must tile the data section exactly: no overlaps, no holes, nothing after the last one. */
    private static void checkCoverage(String file, Map<String, TensorInfo> infos, long dataSize) {
        List<TensorInfo> sorted = new ArrayList<>(infos.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        String prev = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < expected) throw fail(file, "tensor \"" + t.name() + "\" overlaps \"" + prev + "\" (begins at " + t.begin() + ", previous ends at " + expected + ")");
            if (t.begin() > expected) throw fail(file, "hole in the data section: bytes [" + expected + ", " + t.begin() + ") belong to no tensor");
            expected = t.end();
            prev = t.name();
        }
        if (expected != dataSize) throw fail(file, "data section has " + dataSize + " bytes but tensors cover only " + expected);
    }

    static SafetensorsFormatException fail(String file, String problem) {
        return new SafetensorsFormatException("safetensors file " + file + ": " + problem);
    }
}
