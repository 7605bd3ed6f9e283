package dev.mithril.examples.train;

import dev.mithril.runtime.Trainable;
import dev.mithril.runtime.train.CrossEntropy;
import dev.mithril.runtime.train.Trainer;
import java.io.PrintStream;
import java.util.List;

/**
 * The Fashion-MNIST training loop shared by {@code mithril train-mnist} and the tests: epochs of shuffled
 * mini-batches through a {@link Trainer}, with a progress line (loss, accuracy, samples/s) redrawn in
 * place when {@code live}, else printed once per epoch.
 */
public final class MnistTraining {
    /** Test-set accuracy and the last epoch's mean training loss. */
    public record Result(double testAccuracy, double trainLoss) {}

    private MnistTraining() {}

    public static Result run(Trainable model, dev.mithril.runtime.train.Optimizer optimizer, FashionMnist.Split train,
                             FashionMnist.Split test, int epochs, int batchSize, long seed, PrintStream progress, boolean live) {
        return run(model, optimizer, dev.mithril.runtime.train.LrSchedule.constant(), train, test, epochs, batchSize, seed, progress, live);
    }

    /** As above, with a learning-rate schedule over the whole run's steps. */
    public static Result run(Trainable model, dev.mithril.runtime.train.Optimizer optimizer, dev.mithril.runtime.train.LrSchedule schedule,
                             FashionMnist.Split train, FashionMnist.Split test, int epochs, int batchSize, long seed,
                             PrintStream progress, boolean live) {
        Trainer trainer = Trainer.of(model, CrossEntropy.mean(), optimizer).schedule(schedule);
        double epochLoss = Double.NaN;
        for (int epoch = 0; epoch < epochs; epoch++) {
            List<Batches.Batch> batches = Batches.shuffled(train, batchSize, seed + epoch);
            double lossSum = 0;
            long seen = 0, correct = 0, t0 = System.nanoTime();
            for (int i = 0; i < batches.size(); i++) {
                Batches.Batch b = batches.get(i);
                int n = b.labels().size();
                lossSum += (double) trainer.step(b.images(), b.labels()) * n;
                seen += n;
                if (live && (i % 10 == 0 || i == batches.size() - 1)) {
                    double secs = (System.nanoTime() - t0) / 1e9;
                    progress.printf("\repoch %d/%d %s loss %.4f  %.0f samples/s ", epoch + 1, epochs,
                            bar(i + 1, batches.size()), lossSum / seen, seen / Math.max(secs, 1e-9));
                    progress.flush();
                }
            }
            // Training accuracy from one evaluation pass would double the cost; report test accuracy per epoch instead.
            correct = correct(trainer, test, batchSize);
            epochLoss = lossSum / seen;
            double secs = (System.nanoTime() - t0) / 1e9;
            progress.printf("%sepoch %d/%d loss %.4f  test accuracy %.2f%%  %.0f samples/s%n", live ? "\r" : "", epoch + 1, epochs,
                    epochLoss, 100.0 * correct / test.size(), seen / Math.max(secs, 1e-9));
        }
        return new Result(correct(trainer, test, batchSize) / (double) test.size(), epochLoss);
    }

    private static long correct(Trainer trainer, FashionMnist.Split test, int batchSize) {
        long ok = 0;
        for (Batches.Batch b : Batches.inOrder(test, Math.max(batchSize, 256))) ok += Batches.correct(trainer.evaluate(b.images()), b.labels());
        return ok;
    }

    private static String bar(int done, int total) {
        int w = 24, filled = (int) ((long) done * w / total);
        return "[" + "=".repeat(filled) + " ".repeat(w - filled) + "]";
    }
}
