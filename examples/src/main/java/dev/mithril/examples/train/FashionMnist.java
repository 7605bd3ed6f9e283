package dev.mithril.examples.train;

import dev.mithril.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fashion-MNIST as Debian's {@code dataset-fashion-mnist} installs it ({@code /usr/share/datasets/fashion-mnist}):
 * images flattened to 784 values, normalized with the training set's mean and standard deviation.
 */
public final class FashionMnist {
    /** Where Debian's package puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** Mean and standard deviation of the training pixels scaled to [0, 1]. */
    public static final float MEAN = 0.2860f, STD = 0.3530f;
    public static final int PIXELS = 784, CLASSES = 10;

    /** Images {@code [n, 784]} (normalized F32) and their labels. */
    public record Split(Tensor images, long[] labels) {
        public int size() { return labels.length; }
    }

    private FashionMnist() {}

    /** The training (60000) or test (10000) split from {@code dir}; {@code limit > 0} keeps only the first {@code limit} images. */
    public static Split load(Path dir, boolean train, int limit) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("Fashion-MNIST not found: " + dir + " is not a directory (on Debian/Ubuntu: apt-get install "
                    + "dataset-fashion-mnist; or point --data at a folder with the four *-ubyte.gz files)");
        }
        String prefix = train ? "train" : "t10k";
        Path imagesFile = dir.resolve(prefix + "-images-idx3-ubyte.gz"), labelsFile = dir.resolve(prefix + "-labels-idx1-ubyte.gz");
        for (Path p : new Path[] {imagesFile, labelsFile}) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("Fashion-MNIST file missing: " + p + " (package dataset-fashion-mnist)");
        }
        Idx.Data img = Idx.read(imagesFile), lab = Idx.read(labelsFile);
        if (img.dims().length != 3 || img.dims()[1] * img.dims()[2] != PIXELS) {
            throw new IllegalArgumentException(imagesFile + ": expected [n, 28, 28] images, got " + java.util.Arrays.toString(img.dims()));
        }
        if (lab.dims().length != 1 || lab.dims()[0] != img.dims()[0]) {
            throw new IllegalArgumentException(labelsFile + ": expected " + img.dims()[0] + " labels, got " + java.util.Arrays.toString(lab.dims()));
        }
        int n = limit > 0 ? Math.min(limit, img.dims()[0]) : img.dims()[0];
        float[] x = new float[n * PIXELS];
        byte[] b = img.bytes();
        for (int i = 0; i < x.length; i++) x[i] = ((b[i] & 0xff) / 255f - MEAN) / STD;
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            y[i] = lab.bytes()[i] & 0xff;
            if (y[i] >= CLASSES) throw new IllegalArgumentException(labelsFile + ": label " + y[i] + " at " + i + " is not in [0, 10)");
        }
        return new Split(Tensor.of(x, n, PIXELS), y);
    }
}
