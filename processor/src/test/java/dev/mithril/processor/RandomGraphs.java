package dev.mithril.processor;

import dev.mithril.dsl.builder.ModelBuilder;
import dev.mithril.dsl.builder.Value;
import dev.mithril.dsl.ir.Dim;
import dev.mithril.dsl.ir.Graph;
import dev.mithril.dsl.ir.TensorType;
import dev.mithril.dsl.ops.Constant;
import dev.mithril.runtime.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random, valid models over the whole operation set, with a symbolic {@code batch} first dimension,
 * awkward sizes (1, primes, not multiples of the vector width) and denominators kept away from zero.
 */
public final class RandomGraphs {
    private static final int[] SIZES = {1, 2, 3, 5, 7, 13, 17};
    private final SplittableRandom r;
    private final ModelBuilder m;
    private final List<Value> values = new ArrayList<>();
    private final DType dtype;
    private int names;

    private RandomGraphs(long seed, DType dtype) {
        r = new SplittableRandom(seed);
        this.dtype = dtype;
        m = new ModelBuilder("G" + seed + (dtype == DType.F64 ? "F64" : ""));
    }

    public static Graph generate(long seed) { return generate(seed, DType.F32); }

    /** The graph of {@code generate(seed)} with inputs, parameters and constants of element type {@code dtype}. */
    public static Graph generate(long seed, DType dtype) { return new RandomGraphs(seed, dtype).build(); }

    private Graph build() {
        int f = size();
        Value x = r.nextBoolean() ? m.input("x", dtype, "batch", f) : m.input("x", dtype, "batch", size(), f);
        values.add(x);
        if (r.nextInt(3) == 0) values.add(m.input("y", dtype, dims(x.node().type())));
        int steps = 3 + r.nextInt(7);
        for (int i = 0; i < steps; i++) values.add(step(pick()));
        Value last = values.get(values.size() - 1);
        m.output("out", last);
        Value other = values.get(r.nextInt(values.size()));
        if (r.nextInt(3) == 0 && other != last && !other.node().op().kind().equals("input")) m.output("aux", other);
        return m.build();
    }

    private Value step(Value v) {
        TensorType t = v.node().type();
        int rank = t.rank();
        Dim last = rank == 0 ? null : t.dim(-1);
        switch (r.nextInt(16)) {
            case 0, 1: if (rank >= 1 && last.isFixed()) return v.linear("fc" + names++, size());
                break;
            case 2: if (rank >= 1 && last.isFixed()) {
                    int k = (int) last.value(), o = size();
                    return v.matmul(m.parameter("w" + names++, dtype, k, k, o));
                }
                break;
            case 3, 4: return binary(v);
            case 5: return v.relu();
            case 6: return v.gelu();
            case 7: return v.sigmoid();
            case 8: return v.tanh();
            case 9: if (rank >= 1) return v.softmax(r.nextInt(-rank, rank));
                break;
            case 10: if (rank == 3) return v.flatten(1, 2);
                if (rank == 2 && last.isFixed() && t.dim(0).equals(Dim.sym("batch"))) return v.reshape("batch", 1, last.value()).reshape("batch", last.value());
                break;
            case 11: if (rank >= 2) return rank == 2 ? v.transpose(0, 1) : v.transpose(1, 2);
                break;
            case 12: if (rank >= 1) return v.sum(r.nextBoolean(), r.nextInt(rank));
                break;
            case 13: if (rank >= 1) return v.mean(r.nextBoolean(), r.nextInt(rank));
                break;
            case 14: return v.times(constant(suffix(t))).plus(v.times(2f).minus(0.5f));
            default: return v.div(v.sigmoid().plus(0.5f)).tanh();
        }
        return v.relu();
    }

    /** {@code v op w}: another value of v's shape, a trailing-dims constant, or a scalar. */
    private Value binary(Value v) {
        TensorType t = v.node().type();
        Value w = null;
        for (Value o : values) if (o != v && o.node().type().dims().equals(t.dims()) && r.nextBoolean()) w = o;
        if (w == null) w = r.nextBoolean() ? constant(suffix(t)) : m.constant((float) r.nextDouble(0.5, 2), dtype);
        return switch (r.nextInt(4)) {
            case 0 -> v.plus(w);
            case 1 -> v.minus(w);
            case 2 -> v.times(w);
            default -> v.div(w.sigmoid().plus(0.5f));
        };
    }

    /** The fixed trailing dimensions of {@code t} (a bias-like shape). */
    private static List<Dim> suffix(TensorType t) {
        List<Dim> out = new ArrayList<>();
        for (int i = t.rank() - 1; i >= 0 && t.dims().get(i).isFixed(); i--) out.add(0, t.dims().get(i));
        return out;
    }

    private Value constant(List<Dim> dims) {
        TensorType t = new TensorType(dtype, dims);
        float[] v = new float[(int) t.elements().value()];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextDouble(-1, 1);
        return m.apply("c" + names++, new Constant(t, v));
    }

    private Value pick() {
        return r.nextInt(3) == 0 ? values.get(r.nextInt(values.size())) : values.get(values.size() - 1);
    }

    private int size() { return SIZES[r.nextInt(SIZES.length)]; }

    private static Object[] dims(TensorType t) { return t.dims().stream().map(Dim::toString).toArray(); }
}
