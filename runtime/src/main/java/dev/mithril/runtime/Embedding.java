package dev.mithril.runtime;

import java.util.Arrays;

/**
 * Embedding lookup ({@code torch.nn.Embedding}): gathers rows of a {@code table [V, D]} (F32 or F64) by I64
 * ids of any shape, giving {@code ids.shape + [D]}; its backward scatter-adds output gradients into a table
 * gradient. The backward splits the embedding columns, not the ids, over threads, so repeated ids add up in
 * id order every time: the result is deterministic.
 *
 * <pre>{@code
 * Tensor tok = Embedding.forward(ids, wte);                  // ids [B, T] -> [B, T, C]
 * Tensor dWte = Embedding.backward(ids, dTok, wte.dim(0));   // [V, C]
 * }</pre>
 */
public final class Embedding {
    private static final int GRAIN = 1 << 14;

    private Embedding() {}

    /** {@code out[..., :] = table[ids[...], :]}. @throws IndexOutOfBoundsException naming the bad id and its position */
    public static Tensor forward(Tensor ids, Tensor table) {
        String where = "Embedding.forward";
        int d = checkTable(where, table);
        long[] id = checkIds(where, ids, table.dim(0));
        int[] os = Arrays.copyOf(ids.shape(), ids.rank() + 1);
        os[ids.rank()] = d;
        Tensor out = Tensor.zeros(table.dtype(), os);
        gather(id, table, d, out);
        return out;
    }

    /** As {@link #forward}, writing into {@code out} (ids' shape followed by the table's width, the table's dtype). */
    public static void forwardInto(Tensor ids, Tensor table, Tensor out) {
        String where = "Embedding.forward";
        int d = checkTable(where, table);
        long[] id = checkIds(where, ids, table.dim(0));
        if (!rowsOf(ids, d, out) || out.dtype() != table.dtype()) {
            throw new IllegalArgumentException(where + ": out is " + out.dtype().safetensorsName() + " " + Tensor.shapeString(out.shape())
                    + " but ids " + Tensor.shapeString(ids.shape()) + " and table width " + d + " need that shape followed by " + d);
        }
        gather(id, table, d, out);
    }

    private static void gather(long[] id, Tensor table, int d, Tensor out) {
        Object src = table.dtype() == DType.F64 ? table.doubles() : table.data();
        Object dst = table.dtype() == DType.F64 ? out.doubles() : out.data();
        Parallel.forRange(id.length, Math.max(1, GRAIN / Math.max(1, d)), (from, to) -> {
            for (int i = from; i < to; i++) System.arraycopy(src, (int) id[i] * d, dst, i * d, d);
        });
    }

    /** The positions {@code 0, 1, ..., count-1} as int64 {@code [count]} ({@code torch.arange(count)}), the ids of a position table. */
    public static Tensor positions(int count) {
        if (count < 0) throw new IllegalArgumentException("Embedding.positions: count must not be negative, got " + count);
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) ids[i] = i;
        return Tensor.ofLongs(ids, count);
    }

    /** A new {@code [vocab, D]} gradient holding the scatter-add of {@code dOut} at {@code ids}. */
    public static Tensor backward(Tensor ids, Tensor dOut, int vocab) {
        Norms.checkFloat("Embedding.backward", "dOut", dOut);
        if (dOut.rank() < 1) throw new IllegalArgumentException("Embedding.backward: dOut must end in the embedding width, got a rank-0 tensor");
        Tensor dTable = Tensor.zeros(dOut.dtype(), vocab, dOut.dim(-1));
        backwardAddInto(ids, dOut, dTable);
        return dTable;
    }

    /** As {@link #backward}, writing the gradient into {@code dTable [V, D]}: zero in the rows no id points at. */
    public static void backwardInto(Tensor ids, Tensor dOut, Tensor dTable) {
        Norms.checkFloat("Embedding.backward", "dTable", dTable);
        if (dTable.dtype() == DType.F64) Arrays.fill(dTable.doubles(), 0, dTable.size(), 0.0);
        else Arrays.fill(dTable.data(), 0, dTable.size(), 0f);
        backwardAddInto(ids, dOut, dTable);
    }

    /** Adds the gradient of {@link #forward} into {@code dTable [V, D]} (which keeps what it held). */
    public static void backwardAddInto(Tensor ids, Tensor dOut, Tensor dTable) {
        String where = "Embedding.backward";
        int d = checkTable(where, dTable);
        long[] id = checkIds(where, ids, dTable.dim(0));
        if (!rowsOf(ids, d, dOut) || dOut.dtype() != dTable.dtype()) {
            int[] expected = Arrays.copyOf(ids.shape(), ids.rank() + 1);
            expected[ids.rank()] = d;
            throw new IllegalArgumentException(where + ": dOut is " + dOut.dtype().safetensorsName() + " " + Tensor.shapeString(dOut.shape())
                    + " but ids " + Tensor.shapeString(ids.shape()) + " and table width " + d + " need "
                    + dTable.dtype().safetensorsName() + " " + Tensor.shapeString(expected));
        }
        int n = id.length;
        if (dTable.dtype() == DType.F64) {
            double[] g = dOut.doubles(), t = dTable.doubles();
            Parallel.forRange(d, Math.max(1, GRAIN / Math.max(1, n)), (from, to) -> {
                for (int i = 0; i < n; i++) {
                    int src = i * d, dst = (int) id[i] * d;
                    for (int c = from; c < to; c++) t[dst + c] += g[src + c];
                }
            });
        } else {
            float[] g = dOut.data(), t = dTable.data();
            Parallel.forRange(d, Math.max(1, GRAIN / Math.max(1, n)), (from, to) -> {
                for (int i = 0; i < n; i++) {
                    int src = i * d, dst = (int) id[i] * d;
                    for (int c = from; c < to; c++) t[dst + c] += g[src + c];
                }
            });
        }
    }

    private static int checkTable(String where, Tensor table) {
        Norms.checkFloat(where, "table", table);
        if (table.rank() != 2) throw new IllegalArgumentException(where + ": table must be [vocab, dim], got " + Tensor.shapeString(table.shape()));
        return table.dim(1);
    }

    /** Whether {@code t} has the shape of {@code ids} followed by {@code d}: one row of the table per id. */
    private static boolean rowsOf(Tensor ids, int d, Tensor t) {
        boolean shaped = t.rank() == ids.rank() + 1 && t.dim(-1) == d;
        for (int a = 0; shaped && a < ids.rank(); a++) shaped = t.dim(a) == ids.dim(a);
        return shaped;
    }

    private static long[] checkIds(String where, Tensor ids, int vocab) {
        if (ids == null) throw new IllegalArgumentException(where + ": ids is null");
        if (ids.dtype() != DType.I64) throw new IllegalArgumentException(where + ": ids must be I64, got " + ids.dtype().safetensorsName());
        long[] id = ids.longs();
        for (int i = 0; i < id.length; i++) {
            if (id[i] < 0 || id[i] >= vocab) {
                int[] s = ids.shape(), pos = new int[s.length];
                for (int a = s.length - 1, rem = i; a >= 0; a--) { pos[a] = rem % s[a]; rem /= s[a]; }
                throw new IndexOutOfBoundsException(where + ": id " + id[i] + " at position " + Arrays.toString(pos) + " of ids "
                        + Tensor.shapeString(s) + " is out of range for a table of " + vocab + " rows");
            }
        }
        return id;
    }
}
