package dev.mithril.examples.cli;

import dev.mithril.dsl.Backend;
import dev.mithril.dsl.Level;
import dev.mithril.runtime.Tensor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The annotated example models ({@code dev.mithril.examples.Mlp}, {@code LinearModel}) as the annotation
 * processor generated them, one class per level: {@code MlpJavaNone}, {@code MlpJavaBasic}, {@code MlpJavaFull}.
 *
 * <p>The classes are looked up by name through method handles so that this command line builds while the
 * generated classes do not exist yet (the processor is under construction); a missing class is a clear error
 * at run time, not a compile error of the whole module.
 */
public final class ExampleModels {
    /** The MLP's layer widths, input first, as in the annotated {@code Mlp}. */
    public static final int[] MLP_WIDTHS = {784, 1024, 512, 256, 10};

    private ExampleModels() {}

    /** A model with one input and one output, ready to run. */
    public interface Forward extends AutoCloseable {
        Tensor forward(Tensor x);

        @Override void close();
    }

    /** The generated {@code Mlp<Backend><Level>} with parameters initialized like PyTorch's defaults. */
    public static Forward mlp(Level level) { return of("Mlp", level); }

    /** The generated {@code LinearModel<Backend><Level>} (1024 to 1024). */
    public static Forward linear(Level level) { return of("LinearModel", level); }

    /** The fully qualified name of a generated example class, e.g. {@code dev.mithril.examples.MlpJavaFull}. */
    public static String className(String model, Level level) {
        return "dev.mithril.examples." + model + Backend.JAVA.classToken() + level.classToken();
    }

    /** The generated {@code <model>Java<Level>} class for the example named {@code model}, e.g. {@code "Mlp"}. */
    public static Forward of(String model, Level level) {
        String name = className(model, level);
        Class<?> c;
        try {
            c = Class.forName(name, true, ExampleModels.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the generated example " + name + " is not on the class path: build the "
                    + "examples module with the Mithril annotation processor (./mvnw -DskipTests install)", e);
        }
        Object instance;
        MethodHandle forward, close;
        try {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            instance = lookup.findStatic(c, "create", MethodType.methodType(c)).invoke();
            forward = lookup.findVirtual(c, "forward", MethodType.methodType(Tensor.class, Tensor.class)).bindTo(instance);
            close = lookup.findVirtual(c, "close", MethodType.methodType(void.class)).bindTo(instance);
        } catch (Throwable t) {
            throw new IllegalStateException(name + " lacks the generated API 'static " + c.getSimpleName()
                    + " create()' and 'Tensor forward(Tensor)': " + t, t);
        }
        return new Forward() {
            @Override public Tensor forward(Tensor x) {
                try {
                    return (Tensor) forward.invokeExact(x);
                } catch (RuntimeException | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new IllegalStateException(name + ".forward failed: " + t, t);
                }
            }

            @Override public void close() {
                try {
                    close.invoke();
                } catch (RuntimeException | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new IllegalStateException(name + ".close failed: " + t, t);
                }
            }

            @Override public String toString() { return name; }
        };
    }
}
