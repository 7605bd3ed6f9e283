package dev.mithril.examples.zoo;

/**
 * The hyperparameters of the zoo's GPT decoder, as {@code reference_models.GPT} takes them: vocabulary, the
 * longest sequence (rows of the position table), layers, attention heads, and width (a multiple of the heads).
 */
public record GptConfig(int vocabSize, int blockSize, int nLayer, int nHead, int dModel) {
    /** The size the examples use: 6 layers, 8 heads, width 512, 1024 positions, GPT-2's 50257 tokens. */
    public static final GptConfig SEED = new GptConfig(50257, 1024, 6, 8, 512);

    public GptConfig {
        if (vocabSize < 1 || blockSize < 1 || nLayer < 1 || nHead < 1 || dModel < 1) throw new IllegalArgumentException(
                "gpt: vocab_size, block_size, n_layer, n_head and d_model must be positive, got " + this);
        if (dModel % nHead != 0) throw new IllegalArgumentException("gpt: d_model " + dModel + " must be a multiple of n_head " + nHead);
    }

    /** Width of one attention head. */
    public int headSize() { return dModel / nHead; }

    @Override public String toString() {
        return "{vocab_size=" + vocabSize + ", block_size=" + blockSize + ", n_layer=" + nLayer + ", n_head=" + nHead + ", d_model=" + dModel + "}";
    }
}
