package dev.mithril.runtime;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir Path dir;

    private static Path reference(String name) {
        return Path.of(System.getProperty("mithril.reference.dir", "/work/shared/reference"), name);
    }

    @Test void readsTheLinearFixture() {
        try (SafetensorsFile f = Safetensors.open(reference("linear.safetensors"))) {
            assertEquals("linear", f.metadata().get("model"));
            assertEquals("{\"in_features\": 64, \"out_features\": 32}", f.metadata().get("config"));
            List<String> names = f.names();
            assertEquals("grad.linear.bias", names.get(0));
            assertEquals("target", names.get(names.size() - 1));
            TensorInfo wi = f.info("param.linear.weight");
            assertEquals(DType.F32, wi.dtype());
            assertArrayEquals(new int[] {32, 64}, wi.shape());
            Tensor w = f.get("param.linear.weight");
            // values read with python3 struct from the same file
            assertEquals(0.06440789997577667f, w.get(0, 0));
            assertEquals(-0.055172279477119446f, w.get(0, 1));
            assertEquals(0.1108618676662445f, w.get(0, 63));
            assertEquals(-0.07006995379924774f, w.get(1, 0));
            assertEquals(-0.1076355129480362f, w.get(31, 63));
            Tensor x = f.get("input");
            assertArrayEquals(new int[] {4, 64}, x.shape());
            assertEquals(-1.9171338081359863f, x.get(0, 0));
            assertEquals(-1.1650032997131348f, x.get(0, 5));
            assertEquals(-1.132688045501709f, x.get(3, 63));
            Tensor t = f.get("target");
            assertEquals(DType.I64, t.dtype());
            assertArrayEquals(new long[] {10, 18, 10, 8}, t.longs());
            Tensor view = f.view("param.linear.weight");
            assertFalse(view.isHeap());
            assertEquals(-0.07006995379924774f, view.get(1, 0));
            assertThrows(IllegalArgumentException.class, () -> f.get("nope"));
        }
    }

    @Test void fixtureOutputMatchesOurLinear() {
        Map<String, Tensor> m = Safetensors.read(reference("linear.safetensors"));
        Tensor y = Kernels.linear(m.get("input"), m.get("param.linear.weight"), m.get("param.linear.bias"));
        Ref.assertClose(m.get("output.eval").data(), y.data(), 1e-5, "linear vs PyTorch");
    }

    @Test void rewritingAFixtureIsByteIdentical() throws IOException {
        Path src = reference("linear.safetensors");
        Map<String, Tensor> tensors;
        Map<String, String> meta;
        try (SafetensorsFile f = Safetensors.open(src)) {
            tensors = f.all();
            meta = f.metadata();
        }
        Path out = dir.resolve("copy.safetensors");
        Safetensors.write(out, tensors, new LinkedHashMap<>(meta));
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(out));
    }

    @Test void roundTripAllDtypes() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("z.f32", Tensor.random(1, 3, 5));
        t.put("a.f64", Tensor.of(new double[] {1.25, -2.5}, 2));
        t.put("m.i64", Tensor.ofLongs(new long[] {Long.MAX_VALUE, -1, 0}, 3));
        t.put("m.i32", Tensor.ofInts(new int[] {7, -7}, 2, 1));
        t.put("scalar", Tensor.scalar(4.5f));
        t.put("empty", Tensor.zeros(0, 3));
        t.put("\u00e9t\u00e9", Tensor.of(new float[] {1}, 1));
        Path p = dir.resolve("rt.safetensors");
        Safetensors.write(p, t, Map.of("k", "v\"quoted\""));
        Map<String, Tensor> back = Safetensors.read(p);
        assertEquals(List.of("a.f64", "empty", "m.i32", "m.i64", "scalar", "z.f32", "\u00e9t\u00e9"), List.copyOf(back.keySet()));
        assertArrayEquals(t.get("z.f32").data(), back.get("z.f32").data());
        assertArrayEquals(new double[] {1.25, -2.5}, back.get("a.f64").doubles());
        assertArrayEquals(new long[] {Long.MAX_VALUE, -1, 0}, back.get("m.i64").longs());
        assertArrayEquals(new int[] {7, -7}, back.get("m.i32").ints());
        assertArrayEquals(new int[] {2, 1}, back.get("m.i32").shape());
        assertEquals(0, back.get("scalar").rank());
        assertEquals(4.5f, back.get("scalar").get());
        assertArrayEquals(new int[] {0, 3}, back.get("empty").shape());
        try (SafetensorsFile f = Safetensors.open(p)) {
            assertEquals("v\"quoted\"", f.metadata().get("k"));
        }
    }

    @Test void halfPrecisionIsReadAsF32() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) 0x3C00).putShort((short) 0xBC00); // F16 1, -1
        data.putShort((short) 0x3F80).putShort((short) 0x4000); // BF16 1, 2
        Path p = craft("{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}", data.array());
        Map<String, Tensor> m = Safetensors.read(p);
        assertArrayEquals(new float[] {1, -1}, m.get("h").data());
        assertArrayEquals(new float[] {1, 2}, m.get("b").data());
    }

    // ---------------------------------------------------------------- malformed files

    private Path craft(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return craftRaw(h, data, h.length);
    }

    private Path craftRaw(byte[] header, byte[] data, long declaredLength) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header).put(data);
        Path p = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    private void assertRejected(Path p, String fragment) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(p));
        assertTrue(e.getMessage().contains(p.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    private static final String T = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[%d,%d]}";

    @Test void rejectsShortFile() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 0, 0});
        assertRejected(p, "shorter than");
    }

    @Test void rejectsHeaderLengthBeyondFile() throws IOException {
        assertRejected(craftRaw("{}".getBytes(), new byte[0], 1000), "header length 1000");
        assertRejected(craftRaw("{}".getBytes(), new byte[0], -1), "header length");
    }

    @Test void rejectsInvalidJsonAndUtf8() throws IOException {
        assertRejected(craft("{\"a\":", new byte[0]), "not valid JSON");
        assertRejected(craft("[1,2]", new byte[0]), "not a JSON object");
        assertRejected(craftRaw(new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'}, new byte[0], 7), "UTF-8");
    }

    @Test void rejectsUnknownDtype() throws IOException {
        assertRejected(craft("{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]), "dtype \"Q7\"");
    }

    @Test void rejectsNegativeDims() throws IOException {
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8]), "negative dimension");
    }

    @Test void rejectsEndBeforeBegin() throws IOException {
        assertRejected(craft("{\"a\":" + String.format(T, 8, 0) + "}", new byte[8]), "end 0 < begin 8");
    }

    @Test void rejectsWrongByteLength() throws IOException {
        assertRejected(craft("{\"a\":" + String.format(T, 0, 12) + "}", new byte[12]), "needs 8");
    }

    @Test void rejectsOffsetsOutsideData() throws IOException {
        assertRejected(craft("{\"a\":" + String.format(T, 8, 16) + "}", new byte[8]), "outside the data section");
    }

    @Test void rejectsOverlap() throws IOException {
        assertRejected(craft("{\"a\":" + String.format(T, 0, 8) + ",\"b\":" + String.format(T, 4, 12) + "}", new byte[12]), "overlaps");
    }

    @Test void rejectsHoles() throws IOException {
        assertRejected(craft("{\"a\":" + String.format(T, 0, 8) + ",\"b\":" + String.format(T, 12, 20) + "}", new byte[20]), "hole");
        assertRejected(craft("{\"a\":" + String.format(T, 0, 8) + "}", new byte[12]), "cover only 8");
    }

    @Test void rejectsDuplicateNames() throws IOException {
        assertRejected(craft("{\"a\":" + String.format(T, 0, 8) + ",\"a\":" + String.format(T, 8, 16) + "}", new byte[16]), "duplicate key \"a\"");
    }

    @Test void rejectsBadMetadata() throws IOException {
        assertRejected(craft("{\"__metadata__\":{\"x\":1}}", new byte[0]), "not a string");
    }

    @Test void acceptsPaddedHeaderAndEmptyFile() throws IOException {
        Path p = craft("{\"a\":" + String.format(T, 0, 8) + "}   ", new byte[8]);
        assertEquals(1, Safetensors.read(p).size());
        assertTrue(Safetensors.read(craft("{}", new byte[0])).isEmpty());
    }
}
