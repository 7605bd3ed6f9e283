package dev.mithril.examples.train;

import dev.mithril.dsl.Level;
import dev.mithril.examples.FashionCnnJavaFull;
import dev.mithril.examples.FashionCnnJavaNone;
import dev.mithril.examples.MlpJavaBasic;
import dev.mithril.examples.MlpJavaFull;
import dev.mithril.examples.MlpJavaNone;
import dev.mithril.examples.cli.Command;
import dev.mithril.examples.cli.Options;
import dev.mithril.examples.cli.UsageException;
import dev.mithril.runtime.Trainable;
import dev.mithril.runtime.train.AdamW;
import dev.mithril.runtime.train.LrSchedule;
import dev.mithril.runtime.train.Optimizer;
import dev.mithril.runtime.train.Sgd;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code mithril train-mnist}: trains the example MLP ({@code --model mlp}) or the small convolutional network
 * {@code FashionCnn} ({@code --model cnn}) on Fashion-MNIST and reports test accuracy.
 */
public final class TrainMnistCommand implements Command {
    @Override public String name() { return "train-mnist"; }

    @Override public String summary() { return "train the example MLP or CNN on Fashion-MNIST and report test accuracy"; }

    @Override public String usage() {
        return """
                usage: mithril train-mnist [options]
                  --model mlp|cnn            the MLP 784-1024-512-256-10, or the two-block CNN FashionCnn (default mlp)
                  --level none|basic|full    generated level to train (default full; the CNN has none and full)
                  --epochs N                 passes over the training set (default 5)
                  --batch-size N             mini-batch size (default 128)
                  --optimizer sgd|adamw      SGD with momentum 0.9, or AdamW (default sgd)
                  --lr X                     learning rate (default 0.05 for sgd, 0.001 for adamw)
                  --schedule cosine|constant learning rate over the run: cosine annealing to 0, or constant (default cosine)
                  --limit N                  train on the first N images only (default: all 60000)
                  --seed N                   initialization and shuffling seed (default 1)
                  --data DIR                 folder with the *-ubyte.gz files (default /usr/share/datasets/fashion-mnist)
                """;
    }

    @Override public int run(String[] args) {
        Options o = Options.parse(name(), args, Set.of("model", "level", "epochs", "batch-size", "optimizer", "lr", "schedule", "limit", "seed", "data"), Set.of());
        if (o.help()) {
            System.out.print(usage());
            return 0;
        }
        boolean cnn = o.choices("model", List.of("mlp"), List.of("mlp", "cnn"), false).getFirst().equals("cnn");
        Level level = Level.valueOf(o.choices("level", List.of("full"), List.of("none", "basic", "full"), false).getFirst().toUpperCase(Locale.ROOT));
        if (cnn && level == Level.BASIC) throw new UsageException("option --level basic: FashionCnn is generated at none and full only");
        int epochs = o.intValue("epochs", 5, 1), batch = o.intValue("batch-size", 128, 1), limit = o.intValue("limit", 0, 0);
        long seed = o.intValue("seed", 1, 0);
        String opt = o.choices("optimizer", List.of("sgd"), List.of("sgd", "adamw"), false).getFirst();
        double lr;
        try {
            lr = Double.parseDouble(o.get("lr", opt.equals("sgd") ? "0.05" : "0.001"));
        } catch (NumberFormatException e) {
            throw new UsageException("option --lr needs a number, got '" + o.get("lr", "") + "'");
        }
        if (!(lr > 0)) throw new UsageException("option --lr must be positive, got " + lr);
        boolean cosine = o.choices("schedule", List.of("cosine"), List.of("cosine", "constant"), false).getFirst().equals("cosine");
        Optimizer optimizer = opt.equals("sgd") ? Sgd.lr(lr).momentum(0.9) : AdamW.lr(lr);
        Path dir = Path.of(o.get("data", FashionMnist.DEFAULT_DIR.toString()));
        FashionMnist.Split train = FashionMnist.load(dir, true, limit), test = FashionMnist.load(dir, false, 0);
        Trainable model = cnn ? switch (level) {
            case NONE -> FashionCnnJavaNone.create(seed);
            default -> FashionCnnJavaFull.create(seed);
        } : switch (level) {
            case NONE -> MlpJavaNone.create(seed);
            case BASIC -> MlpJavaBasic.create(seed);
            case FULL -> MlpJavaFull.create(seed);
        };
        try (model) {
            System.err.printf("training %s on %d images, %d epochs, batch %d, %s, %s learning rate%n", model.getClass().getSimpleName(), train.size(),
                    epochs, batch, optimizer.describe(), cosine ? "cosine-annealed" : "constant");
            boolean live = System.console() != null && System.console().isTerminal();
            long steps = (long) epochs * ((train.size() + batch - 1) / batch);
            LrSchedule schedule = cosine ? LrSchedule.cosine(steps, 0) : LrSchedule.constant();
            MnistTraining.Result r = MnistTraining.run(model, optimizer, schedule, train, test, epochs, batch, seed, System.err, live);
            System.out.printf("test accuracy %.2f%% (%d test images)%n", 100 * r.testAccuracy(), test.size());
        }
        return 0;
    }
}
