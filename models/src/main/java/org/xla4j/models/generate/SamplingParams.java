package org.xla4j.models.generate;

import java.util.List;

/**
 * How one request samples: host-side settings, validated once. {@link SamplerInputs} turns a batch of
 * them into the tensors {@link Sampler#sample} takes.
 *
 * <pre>{@code
 * SamplingParams p = SamplingParams.builder().temperature(0.7).topP(0.9).seed(42).maxNewTokens(128).build();
 * SamplingParams g = SamplingParams.greedy(64);
 * }</pre>
 *
 * @param temperature 0 is greedy; otherwise logits are divided by it (finite, >= 0)
 * @param topK keep the k largest logits; 0 keeps all (>= 0)
 * @param topP nucleus mass in (0, 1]; 1 keeps all (Grok-1's {@code top_p_filter})
 * @param seed the request's seed: its Threefry key is JAX's {@code PRNGKey(seed)}
 * @param maxNewTokens tokens to generate at most (>= 1)
 * @param stopIds ids that end the request besides the tokenizer's EOS (each >= 0)
 */
public record SamplingParams(double temperature, int topK, double topP, long seed, int maxNewTokens,
    List<Integer> stopIds) {

  public SamplingParams {
    if (!Double.isFinite(temperature) || temperature < 0) {
      throw new IllegalArgumentException("SamplingParams: temperature must be finite and >= 0 (0 = greedy), got "
          + temperature);
    }
    if (topK < 0) throw new IllegalArgumentException("SamplingParams: topK must be >= 0 (0 = off), got " + topK);
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("SamplingParams: topP must be in (0, 1] (1 = off), got " + topP);
    }
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("SamplingParams: maxNewTokens must be >= 1, got " + maxNewTokens);
    }
    if (stopIds == null) throw new IllegalArgumentException("SamplingParams: stopIds must not be null (use List.of())");
    for (Integer id : stopIds) {
      if (id == null || id < 0) throw new IllegalArgumentException("SamplingParams: stop ids must be >= 0, got " + id);
    }
    stopIds = List.copyOf(stopIds);
  }

  /** Greedy decoding of up to {@code maxNewTokens} tokens. */
  public static SamplingParams greedy(int maxNewTokens) { return builder().temperature(0).maxNewTokens(maxNewTokens).build(); }

  /** Starts from temperature 1, top-k off, top-p 1, seed 0, 64 new tokens, no stop ids. */
  public static Builder builder() { return new Builder(); }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    return new Builder().temperature(temperature).topK(topK).topP(topP).seed(seed).maxNewTokens(maxNewTokens)
        .stopIds(stopIds);
  }

  /** Whether this request samples greedily. */
  public boolean isGreedy() { return temperature == 0; }

  /** Whether {@code id} is one of the stop ids. */
  public boolean isStop(int id) { return stopIds.contains(id); }

  /** The request's initial Threefry key (two u32 words as ints). */
  public int[] key() { return ThreefryHost.seed(seed); }

  /** Mutable builder; {@link #build} validates. */
  public static final class Builder {
    private double temperature = 1.0;
    private int topK = 0;
    private double topP = 1.0;
    private long seed = 0;
    private int maxNewTokens = 64;
    private List<Integer> stopIds = List.of();

    private Builder() {}

    public Builder temperature(double t) { this.temperature = t; return this; }

    public Builder topK(int k) { this.topK = k; return this; }

    public Builder topP(double p) { this.topP = p; return this; }

    public Builder seed(long s) { this.seed = s; return this; }

    public Builder maxNewTokens(int n) { this.maxNewTokens = n; return this; }

    public Builder stopIds(List<Integer> ids) { this.stopIds = ids; return this; }

    public Builder stopIds(int... ids) { this.stopIds = java.util.Arrays.stream(ids).boxed().toList(); return this; }

    public SamplingParams build() { return new SamplingParams(temperature, topK, topP, seed, maxNewTokens, stopIds); }
  }
}
