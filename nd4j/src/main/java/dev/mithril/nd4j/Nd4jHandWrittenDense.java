package dev.mithril.nd4j;

import dev.mithril.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A dense model (linear layers, ReLU between them, none after the last) written directly on ND4J, as a careful
 * person would without Mithril: the weights converted once, every intermediate preallocated, GEMM into it, the
 * bias added and ReLU applied in place. It is the "ND4J by hand" side of the benchmarks' "Mithril + ND4J vs ND4J
 * by hand" comparison, over the same parameters as the generated model.
 */
public final class Nd4jHandWrittenDense {
    private static final Pattern WEIGHT = Pattern.compile("layers\\.(\\d+)\\.weight");

    private final INDArray[] weights, biases, outputs;
    private final int inputSize;

    /**
     * Takes the parameters of a {@code Sequential} chain of linear layers and ReLUs, named as its graph names them
     * ({@code layers.<i>.weight} of shape {@code [out, in]}, {@code layers.<i>.bias} of shape {@code [out]}), e.g. a
     * compiled model's {@code parameters()}; the values are copied.
     *
     * @throws IllegalArgumentException when there is no linear layer, a bias is missing or shapes do not chain
     */
    public Nd4jHandWrittenDense(Map<String, Tensor> parameters, int batch) {
        if (batch < 1) throw new IllegalArgumentException("Nd4jHandWrittenDense: batch must be >= 1, got " + batch);
        TreeMap<Integer, String> layers = new TreeMap<>();
        for (String name : parameters.keySet()) {
            Matcher m = WEIGHT.matcher(name);
            if (m.matches()) layers.put(Integer.parseInt(m.group(1)), name);
        }
        if (layers.isEmpty()) throw new IllegalArgumentException("Nd4jHandWrittenDense: no parameter named layers.<i>.weight among "
                + parameters.keySet());
        List<INDArray> w = new ArrayList<>(), b = new ArrayList<>(), h = new ArrayList<>();
        long width = -1;
        for (var e : layers.entrySet()) {
            Tensor weight = parameters.get(e.getValue());
            String biasName = "layers." + e.getKey() + ".bias";
            Tensor bias = parameters.get(biasName);
            if (bias == null) throw new IllegalArgumentException("Nd4jHandWrittenDense: " + e.getValue() + " has no " + biasName);
            int[] s = weight.shape();
            if (s.length != 2 || bias.size() != s[0] || (width >= 0 && s[1] != width))
                throw new IllegalArgumentException("Nd4jHandWrittenDense: " + e.getValue() + " has shape " + Tensor.shapeString(s)
                        + " and its bias " + bias.size() + " values, after a layer of width " + width);
            width = s[0];
            w.add(Nd4jBridge.toNd4j(weight));
            b.add(Nd4jBridge.toNd4j(bias));
            h.add(Nd4j.createUninitialized(DataType.FLOAT, batch, s[0]));
        }
        this.weights = w.toArray(INDArray[]::new);
        this.biases = b.toArray(INDArray[]::new);
        this.outputs = h.toArray(INDArray[]::new);
        this.inputSize = parameters.get(layers.firstEntry().getValue()).shape()[1];
    }

    /** The forward pass of {@code x} ({@code [batch, in]}); the result is an array this object reuses on the next call. */
    public INDArray forward(INDArray x) {
        if (x.rank() != 2 || x.size(0) != outputs[0].size(0) || x.size(1) != inputSize)
            throw new IllegalArgumentException("Nd4jHandWrittenDense.forward: input of shape " + java.util.Arrays.toString(x.shape())
                    + ", expected [" + outputs[0].size(0) + ", " + inputSize + "]");
        INDArray a = x;
        for (int i = 0; i < weights.length; i++) {
            Nd4j.gemm(a, weights[i], outputs[i], false, true, 1.0, 0.0);
            outputs[i].addiRowVector(biases[i]);
            if (i + 1 < weights.length) Transforms.relu(outputs[i], false);
            a = outputs[i];
        }
        return a;
    }

    /**
     * The entry point for callers that do not compile against ND4J (the benchmark harness loads this class by name
     * and calls it reflectively): the model over {@code parameters} with {@code input} converted to an INDArray once;
     * each {@code getAsDouble()} runs one forward pass and returns its first output value, so the caller can keep the
     * result observable.
     */
    public static DoubleSupplier forwardPass(Map<String, Tensor> parameters, Tensor input) {
        Nd4jHandWrittenDense m = new Nd4jHandWrittenDense(parameters, input.shape()[0]);
        INDArray x = Nd4jBridge.toNd4j(input);
        return () -> m.forward(x).getDouble(0);
    }
}
