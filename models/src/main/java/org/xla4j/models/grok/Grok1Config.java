package org.xla4j.models.grok;

import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The sizes and constants of a Grok-1-style model (xai-org/grok-1's {@code TransformerConfig} and
 * {@code LanguageModelConfig}). Presets: {@link #full()} (Grok-1, 314B parameters) and {@link #tiny()}
 * (same structure, fast on a CPU).
 *
 * <pre>{@code
 * Grok1Config c = Grok1Config.builder().vocabSize(1024).embeddingSize(128).numLayers(2).build();
 * Tree<TensorType> params = c.parameterTypes();   // Grok-1's own paths, e.g. transformer/decoder_layer_0/router/w
 * }</pre>
 *
 * @param vocabSize tokens in the vocabulary (pad id 0)
 * @param embeddingSize model width D
 * @param numLayers decoder layers
 * @param numQHeads query heads
 * @param numKvHeads key/value heads, dividing numQHeads (query head h reads kv head h / (Hq / Hkv))
 * @param keySize head dimension
 * @param wideningFactor FFN width factor; see {@link #ffnSize()}
 * @param numExperts experts per MoE layer
 * @param numSelectedExperts experts per token (top-k)
 * @param contextLength the longest sequence (RoPE positions, caches)
 * @param embeddingMultiplier multiplies the input embeddings (Grok-1: sqrt(D))
 * @param outputMultiplier multiplies the logits (Grok-1: 1/sqrt(3))
 * @param attnOutputMultiplier multiplies the attention logits q·k (Grok-1: 1/sqrt(keySize))
 * @param maxAttnValue attention logit soft-cap c: x -> c·tanh(x/c) (Grok-1: 30)
 * @param rmsEps RMSNorm epsilon
 * @param ropeTheta RoPE base
 * @param weightFormat how the matrices are stored
 */
public record Grok1Config(
    int vocabSize,
    int embeddingSize,
    int numLayers,
    int numQHeads,
    int numKvHeads,
    int keySize,
    double wideningFactor,
    int numExperts,
    int numSelectedExperts,
    int contextLength,
    double embeddingMultiplier,
    double outputMultiplier,
    double attnOutputMultiplier,
    double maxAttnValue,
    double rmsEps,
    double ropeTheta,
    WeightFormat weightFormat) {

  public Grok1Config {
    positive("vocabSize", vocabSize);
    positive("embeddingSize", embeddingSize);
    positive("numLayers", numLayers);
    positive("numQHeads", numQHeads);
    positive("numKvHeads", numKvHeads);
    positive("keySize", keySize);
    positive("numExperts", numExperts);
    positive("contextLength", contextLength);
    if (numQHeads % numKvHeads != 0) {
      throw new IllegalArgumentException("Grok1Config requires numKvHeads dividing numQHeads, got " + numQHeads
          + " query and " + numKvHeads + " kv heads");
    }
    if (numSelectedExperts < 1 || numSelectedExperts > numExperts) {
      throw new IllegalArgumentException("Grok1Config requires 1 <= numSelectedExperts <= numExperts (" + numExperts
          + "), got " + numSelectedExperts);
    }
    if (keySize % 2 != 0) throw new IllegalArgumentException("Grok1Config requires an even keySize (RoPE), got " + keySize);
    if (!(wideningFactor > 0)) throw new IllegalArgumentException("Grok1Config requires wideningFactor > 0, got " + wideningFactor);
    if (weightFormat == null) throw new IllegalArgumentException("Grok1Config requires a weightFormat");
    if (weightFormat == WeightFormat.INT8 && numQHeads * keySize % 8 != 0) {
      throw new IllegalArgumentException("Grok1Config INT8 requires numQHeads·keySize divisible by 8 (scale blocks), got "
          + numQHeads * keySize);
    }
  }

  /** Grok-1: vocab 131072, D 6144, 64 layers, 48/8 heads of 128, widening 8 (FFN 32768), 8 experts top-2. */
  public static Grok1Config full() {
    return builder().vocabSize(131072).embeddingSize(6144).numLayers(64).heads(48, 8).keySize(128)
        .wideningFactor(8).experts(8, 2).contextLength(8192).build();
  }

  /** Same structure, small: vocab 128, D 64, 2 layers, 4/2 heads of 16, FFN 88, 4 experts top-2. */
  public static Grok1Config tiny() {
    return builder().vocabSize(128).embeddingSize(64).numLayers(2).heads(4, 2).keySize(16).wideningFactor(2)
        .experts(4, 2).contextLength(64).build();
  }

  /** Grok-1's {@code ffn_size}: {@code int(widening·D)·2/3}, rounded up to a multiple of 8. */
  public int ffnSize() { return ffnSize(embeddingSize, wideningFactor); }

  static int ffnSize(int emb, double widening) {
    int f = (int) (widening * emb) * 2 / 3;
    return f + Math.floorMod(8 - f, 8);
  }

  /** The same config with another weight format. */
  public Grok1Config withWeightFormat(WeightFormat f) { return toBuilder().weightFormat(f).build(); }

  /**
   * Every parameter's type under Grok-1's own paths (JAX flatten order):
   * <ul>
   *   <li>{@code language_model/in_out_embed/embeddings [vocab, D]} f32 (tied: also the output projection);</li>
   *   <li>{@code language_model/rms_norm/scale [D]} f32;</li>
   *   <li>{@code transformer/decoder_layer_N/multi_head_attention/{query,key,value,linear}/w [in, out]};</li>
   *   <li>{@code transformer/decoder_layer_N/router/w [D, E]} f32;</li>
   *   <li>{@code transformer/decoder_layer_N/moe/{linear,linear_v,linear_1}/w [E, in, out]};</li>
   *   <li>{@code transformer/decoder_layer_N/rms_norm{,_1,_2,_3}/scale [D]} f32.</li>
   * </ul>
   * Matrices are bf16, or for {@link WeightFormat#INT8} int8 with a sibling {@code scales} leaf
   * ({@code .../query/scales [nb, out]}, {@code .../moe/linear_1/scales [E, nb, out]}) in bf16.
   */
  public Tree<TensorType> parameterTypes() {
    Tree.Builder<TensorType> b = Tree.builder();
    long d = embeddingSize;
    long qd = (long) numQHeads * keySize;
    long kvd = (long) numKvHeads * keySize;
    long f = ffnSize();
    long e = numExperts;
    b.put("language_model/in_out_embed/embeddings", TensorType.of(DType.F32, vocabSize, d));
    b.put("language_model/rms_norm/scale", TensorType.of(DType.F32, d));
    for (int l = 0; l < numLayers; l++) {
      String pre = "transformer/decoder_layer_" + l + "/";
      matrix(b, pre + "multi_head_attention/query", 1, d, qd, 1);
      matrix(b, pre + "multi_head_attention/key", 1, d, kvd, 1);
      matrix(b, pre + "multi_head_attention/value", 1, d, kvd, 1);
      matrix(b, pre + "multi_head_attention/linear", 1, qd, d, 8);
      b.put(pre + "router/w", TensorType.of(DType.F32, d, e));
      matrix(b, pre + "moe/linear", e, d, f, 1);
      matrix(b, pre + "moe/linear_v", e, d, f, 1);
      matrix(b, pre + "moe/linear_1", e, f, d, 8);
      for (String n : new String[] {"rms_norm", "rms_norm_1", "rms_norm_2", "rms_norm_3"}) {
        b.put(pre + n + "/scale", TensorType.of(DType.F32, d));
      }
    }
    return b.build();
  }

  /** Total parameter bytes. */
  public long parameterBytes() {
    long sum = 0;
    for (TensorType t : parameterTypes().leaves()) sum += t.byteSize();
    return sum;
  }

  private void matrix(Tree.Builder<TensorType> b, String module, long experts, long in, long out, int nb) {
    boolean stacked = module.contains("/moe/");
    long[] w = stacked ? new long[] {experts, in, out} : new long[] {in, out};
    long[] s = stacked ? new long[] {experts, nb, out} : new long[] {nb, out};
    switch (weightFormat) {
      case BF16 -> b.put(module + "/w", TensorType.of(DType.BF16, w));
      case INT8 -> {
        b.put(module + "/w", TensorType.of(DType.I8, w));
        b.put(module + "/scales", TensorType.of(DType.BF16, s));
      }
    }
  }

  private static void positive(String what, int v) {
    if (v <= 0) throw new IllegalArgumentException("Grok1Config requires " + what + " > 0, got " + v);
  }

  public static Builder builder() { return new Builder(); }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.vocabSize = vocabSize;
    b.embeddingSize = embeddingSize;
    b.numLayers = numLayers;
    b.numQHeads = numQHeads;
    b.numKvHeads = numKvHeads;
    b.keySize = keySize;
    b.wideningFactor = wideningFactor;
    b.numExperts = numExperts;
    b.numSelectedExperts = numSelectedExperts;
    b.contextLength = contextLength;
    b.embeddingMultiplier = embeddingMultiplier;
    b.outputMultiplier = outputMultiplier;
    b.attnOutputMultiplier = attnOutputMultiplier;
    b.maxAttnValue = maxAttnValue;
    b.rmsEps = rmsEps;
    b.ropeTheta = ropeTheta;
    b.weightFormat = weightFormat;
    return b;
  }

  /**
   * Builder of {@link Grok1Config}, starting from Grok-1's constants. The multipliers left unset (NaN) follow
   * the sizes: embedding sqrt(D), attention 1/sqrt(keySize); output 1/sqrt(3).
   */
  public static final class Builder {
    private int vocabSize = 131072;
    private int embeddingSize = 6144;
    private int numLayers = 64;
    private int numQHeads = 48;
    private int numKvHeads = 8;
    private int keySize = 128;
    private double wideningFactor = 8;
    private int numExperts = 8;
    private int numSelectedExperts = 2;
    private int contextLength = 8192;
    private double embeddingMultiplier = Double.NaN;
    private double outputMultiplier = 1 / Math.sqrt(3);
    private double attnOutputMultiplier = Double.NaN;
    private double maxAttnValue = 30;
    private double rmsEps = 1e-5;
    private double ropeTheta = 1e4;
    private WeightFormat weightFormat = WeightFormat.BF16;

    private Builder() {}

    public Builder vocabSize(int n) { this.vocabSize = n; return this; }

    public Builder embeddingSize(int n) { this.embeddingSize = n; return this; }

    public Builder numLayers(int n) { this.numLayers = n; return this; }

    /** Query and key/value heads. */
    public Builder heads(int q, int kv) { this.numQHeads = q; this.numKvHeads = kv; return this; }

    public Builder keySize(int n) { this.keySize = n; return this; }

    public Builder wideningFactor(double w) { this.wideningFactor = w; return this; }

    /** Experts and experts per token. */
    public Builder experts(int n, int topK) { this.numExperts = n; this.numSelectedExperts = topK; return this; }

    public Builder contextLength(int n) { this.contextLength = n; return this; }

    public Builder embeddingMultiplier(double m) { this.embeddingMultiplier = m; return this; }

    public Builder outputMultiplier(double m) { this.outputMultiplier = m; return this; }

    public Builder attnOutputMultiplier(double m) { this.attnOutputMultiplier = m; return this; }

    public Builder maxAttnValue(double c) { this.maxAttnValue = c; return this; }

    public Builder rmsEps(double e) { this.rmsEps = e; return this; }

    public Builder ropeTheta(double t) { this.ropeTheta = t; return this; }

    public Builder weightFormat(WeightFormat f) { this.weightFormat = f; return this; }

    public Grok1Config build() {
      double emb = Double.isNaN(embeddingMultiplier) ? Math.sqrt(embeddingSize) : embeddingMultiplier;
      double attn = Double.isNaN(attnOutputMultiplier) ? 1 / Math.sqrt(keySize) : attnOutputMultiplier;
      return new Grok1Config(vocabSize, embeddingSize, numLayers, numQHeads, numKvHeads, keySize, wideningFactor,
          numExperts, numSelectedExperts, contextLength, emb, outputMultiplier, attn, maxAttnValue, rmsEps, ropeTheta,
          weightFormat);
    }
  }
}
