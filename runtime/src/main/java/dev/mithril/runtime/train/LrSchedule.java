package dev.mithril.runtime.train;

/**
 * A learning-rate schedule: the rate for step {@code t} (0-based, the number of updates done before) given
 * the base rate, in the closed forms of PyTorch's schedulers. Schedules compose: {@link #andThen} chains
 * them (each sees the rate the previous one produced, like stacked PyTorch schedulers) and {@link #until}
 * switches from one to another at a milestone (like {@code SequentialLR}).
 *
 * <pre>{@code
 * LrSchedule s = LrSchedule.linearWarmup(0.01, 100).until(100, LrSchedule.cosine(900, 1e-5));
 * }</pre>
 */
@FunctionalInterface
public interface LrSchedule {
    /** The learning rate for step {@code t} when the optimizer was configured with {@code base}. */
    double lr(double base, long t);

    /** The constant schedule. */
    static LrSchedule constant() { return (base, t) -> base; }

    /** {@code StepLR}: {@code base * gamma^floor(t / stepSize)}. */
    static LrSchedule step(long stepSize, double gamma) {
        if (stepSize <= 0) throw new IllegalArgumentException("LrSchedule.step: step size must be positive, got " + stepSize);
        return (base, t) -> base * Math.pow(gamma, t / stepSize);
    }

    /** {@code CosineAnnealingLR}: {@code min + (base - min) (1 + cos(pi t / tMax)) / 2}. */
    static LrSchedule cosine(long tMax, double min) {
        if (tMax <= 0) throw new IllegalArgumentException("LrSchedule.cosine: tMax must be positive, got " + tMax);
        return (base, t) -> min + (base - min) * (1 + Math.cos(Math.PI * t / tMax)) / 2;
    }

    /** {@code LinearLR} from {@code startFactor * base} up to {@code base} over {@code steps} steps, then constant. */
    static LrSchedule linearWarmup(double startFactor, long steps) {
        if (steps <= 0) throw new IllegalArgumentException("LrSchedule.linearWarmup: steps must be positive, got " + steps);
        return (base, t) -> base * (startFactor + (1 - startFactor) * Math.min(t, steps) / (double) steps);
    }

    /** This schedule, then {@code next} applied to its result (PyTorch's chained schedulers multiply this way). */
    default LrSchedule andThen(LrSchedule next) { return (base, t) -> next.lr(lr(base, t), t); }

    /** This schedule for steps before {@code milestone}, then {@code next} counting from 0 at the milestone. */
    default LrSchedule until(long milestone, LrSchedule next) {
        return (base, t) -> t < milestone ? lr(base, t) : next.lr(base, t - milestone);
    }
}
