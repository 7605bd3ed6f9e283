package dev.mithril.dsl.builder;

/** One step of a {@link Sequential} model: adds nodes after {@code x}, naming them after {@code name}. */
@FunctionalInterface
public interface Layer {
    Value apply(Value x, String name);
}
