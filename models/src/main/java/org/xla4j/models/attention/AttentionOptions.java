package org.xla4j.models.attention;

import java.util.Objects;
import org.xla4j.ir.Precision;

/**
 * What attention to compute and how: the static part of an attention call (tensors go to
 * {@link AttentionInputs}). Build with {@link #builder()}; {@link Attention#apply} validates it once
 * against the tensors.
 *
 * <p>Masks: {@link #causal} is the built-in causal mask. A mask tensor in {@link AttentionInputs} is read by
 * its dtype: bool = true keeps, integer = non-zero keeps, float = additive (0 keeps, -1e9 or -inf hides,
 * EasyDeL's form; it is added to the logits with the bias, so CUDNN takes it as a bias). To use a float 1/0
 * keep-mask, pass {@code mask.ne(0)}.
 *
 * <pre>{@code
 * AttentionOptions o = AttentionOptions.builder()
 *     .mechanism(Mechanism.BLOCKWISE).causal(true).chunks(128, 256)
 *     .numHeads(32).numKvHeads(8)          // optional: checked against q and k
 *     .build();
 * }</pre>
 *
 * @param mechanism which implementation runs
 * @param numHeads query heads; 0 means "take it from q" (otherwise it must equal q's head axis)
 * @param numKvHeads key/value heads, dividing numHeads (grouped-query attention); 0 means "from k"
 * @param causal query i sees key j only when j <= i (top-left aligned, as jax.nn.dot_product_attention;
 *     for DECODE, positions are absolute: key j is visible to the query at position step+i when j <= step+i)
 * @param softmaxScale multiplies the logits; NaN means 1/sqrt(head_dim)
 * @param attnOutputMultiplier multiplies the output (Grok's attn_output_multiplier); 1 is none
 * @param logitSoftCap c > 0 replaces logits x by c·tanh(x/c) after scaling (Grok uses 30); 0 is off
 * @param float32Logits compute q·k with f32 accumulation and f32 result (the softmax is f32 regardless)
 * @param precision dot precision of both matmuls
 * @param dropoutRate probability of dropping an attention weight; survivors are scaled by 1/(1-rate)
 * @param deterministic true turns dropout off whatever the rate (inference)
 * @param returnWeights VANILLA only: also return the [B, H, Sq, Sk] attention weights
 * @param queryChunkSize BLOCKWISE query chunk; 0 picks Sq/4 clamped to [512, 2048] (and at most Sq)
 * @param keyChunkSize BLOCKWISE key chunk; 0 picks Sk/4 clamped to [512, 2048] (and at most Sk). Differentiated,
 *     BLOCKWISE's own backward uses one block size from both options ({@link Attention#blockwiseGradBlock})
 * @param blockwiseStepBytes BLOCKWISE differentiated: the most bytes of one step's f32 block scores (the block pairs a
 *     step computes at once); 0: no bound (whole-diagonal steps; on the GPU smaller steps measured no
 *     lower peak, since XLA's scheduler overlaps them)
 * @param platform the platform the program will run on ({@code cpu}, {@code cuda}), or null when unknown;
 *     when given, mechanisms that cannot run there are rejected at build time
 * @param custom the kernel of {@link Mechanism#CUSTOM}
 */
public record AttentionOptions(
    Mechanism mechanism,
    int numHeads,
    int numKvHeads,
    boolean causal,
    double softmaxScale,
    double attnOutputMultiplier,
    double logitSoftCap,
    boolean float32Logits,
    Precision precision,
    double dropoutRate,
    boolean deterministic,
    boolean returnWeights,
    int queryChunkSize,
    int keyChunkSize,
    long blockwiseStepBytes,
    String platform,
    AttentionKernel custom) {

  public AttentionOptions {
    Objects.requireNonNull(mechanism, "mechanism");
    Objects.requireNonNull(precision, "precision");
    if (blockwiseStepBytes < 0) {
      throw new IllegalArgumentException("AttentionOptions: blockwiseStepBytes must be >= 0 (0: automatic), got "
          + blockwiseStepBytes);
    }
  }

  /** Defaults: VANILLA, heads from the tensors, not causal, scale 1/sqrt(d), no dropout, auto chunks. */
  public static Builder builder() { return new Builder(); }

  /** VANILLA with every default. */
  public static AttentionOptions defaults() { return builder().build(); }

  /** A builder holding this record's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.mechanism = mechanism;
    b.numHeads = numHeads;
    b.numKvHeads = numKvHeads;
    b.causal = causal;
    b.softmaxScale = softmaxScale;
    b.attnOutputMultiplier = attnOutputMultiplier;
    b.logitSoftCap = logitSoftCap;
    b.float32Logits = float32Logits;
    b.precision = precision;
    b.dropoutRate = dropoutRate;
    b.deterministic = deterministic;
    b.returnWeights = returnWeights;
    b.queryChunkSize = queryChunkSize;
    b.keyChunkSize = keyChunkSize;
    b.blockwiseStepBytes = blockwiseStepBytes;
    b.platform = platform;
    b.custom = custom;
    return b;
  }

  /** The same options with another mechanism. */
  public AttentionOptions withMechanism(Mechanism m) { return toBuilder().mechanism(m).build(); }

  /** Whether dropout is applied: a positive rate and not deterministic. */
  public boolean dropoutActive() { return dropoutRate > 0 && !deterministic; }

  /** Builder of {@link AttentionOptions}. */
  public static final class Builder {
    private Mechanism mechanism = Mechanism.VANILLA;
    private int numHeads;
    private int numKvHeads;
    private boolean causal;
    private double softmaxScale = Double.NaN;
    private double attnOutputMultiplier = 1.0;
    private double logitSoftCap;
    private boolean float32Logits;
    private Precision precision = Precision.DEFAULT;
    private double dropoutRate;
    private boolean deterministic;
    private boolean returnWeights;
    private int queryChunkSize;
    private int keyChunkSize;
    private long blockwiseStepBytes;
    private String platform;
    private AttentionKernel custom;

    private Builder() {}

    public Builder mechanism(Mechanism m) { this.mechanism = m; return this; }

    public Builder numHeads(int n) { this.numHeads = n; return this; }

    public Builder numKvHeads(int n) { this.numKvHeads = n; return this; }

    public Builder causal(boolean on) { this.causal = on; return this; }

    public Builder softmaxScale(double s) { this.softmaxScale = s; return this; }

    public Builder attnOutputMultiplier(double m) { this.attnOutputMultiplier = m; return this; }

    public Builder logitSoftCap(double c) { this.logitSoftCap = c; return this; }

    public Builder float32Logits(boolean on) { this.float32Logits = on; return this; }

    public Builder precision(Precision p) { this.precision = p; return this; }

    /** Dropout on the attention weights; needs a key in {@link AttentionInputs#dropoutKey()} unless deterministic. */
    public Builder dropout(double rate) { this.dropoutRate = rate; return this; }

    public Builder deterministic(boolean on) { this.deterministic = on; return this; }

    public Builder returnWeights(boolean on) { this.returnWeights = on; return this; }

    public Builder queryChunkSize(int n) { this.queryChunkSize = n; return this; }

    public Builder keyChunkSize(int n) { this.keyChunkSize = n; return this; }

    /** Both BLOCKWISE chunk sizes. */
    public Builder chunks(int query, int key) { this.queryChunkSize = query; this.keyChunkSize = key; return this; }

    /** BLOCKWISE differentiated: the most bytes of one step's f32 block scores (0: automatic). */
    public Builder blockwiseStepBytes(long bytes) { this.blockwiseStepBytes = bytes; return this; }

    /** The platform the program is for, e.g. {@code backend.platformName()}. */
    public Builder platform(String p) { this.platform = p; return this; }

    /** A user kernel; also sets the mechanism to CUSTOM. */
    public Builder custom(AttentionKernel k) { this.custom = k; this.mechanism = Mechanism.CUSTOM; return this; }

    public AttentionOptions build() {
      return new AttentionOptions(mechanism, numHeads, numKvHeads, causal, softmaxScale, attnOutputMultiplier,
          logitSoftCap, float32Logits, precision, dropoutRate, deterministic, returnWeights, queryChunkSize,
          keyChunkSize, blockwiseStepBytes, platform, custom);
    }
  }
}
