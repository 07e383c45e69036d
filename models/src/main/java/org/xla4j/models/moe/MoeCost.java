package org.xla4j.models.moe;

/**
 * What one MoE layer must do at least, for judging an implementation's time: the useful FLOPs and the fewest
 * bytes it must move through device memory, and the floor they give on a machine.
 *
 * <ul>
 *   <li>useful FLOPs = {@code 2 · N · K · 3 · D · F} (three D×F matmuls per token copy; DENSE does E/K times
 *       this, CAPACITY {@code E·C/(N·K)} times);</li>
 *   <li>fewest bytes = the touched experts' weights read once, {@code min(E, N·K) · 3 · D · F} elements of
 *       {@code weightBytes} (int8 adds its scales, {@code [nb, F]}, {@code [nb, F]}, {@code [nb1, D]} bf16 per
 *       expert), plus x read and y written ({@code 2 · N · D · activationBytes}) and the f32 router
 *       ({@code D · E · 4}). {@code min(E, N·K)} is exact for one token (K experts) and for many tokens
 *       (every expert); between, it assumes the copies spread over as many experts as they can.</li>
 * </ul>
 *
 * <pre>{@code
 * MoeCost c = MoeCost.bf16(4096, 6144, 32768, 8, 2);
 * double floorMs = c.floorSeconds(724e12, 3.3e12) * 1e3;   // peak FLOP/s, bandwidth B/s (read + write)
 * }</pre>
 *
 * @param tokens N
 * @param model D
 * @param hidden F
 * @param experts E
 * @param topK K
 * @param weightBytes bytes per stored weight element (2 for bf16, 1 for int8)
 * @param scaleBlocks int8 only: scale blocks of linear/linear_v and of linear_1 (Grok-1: 1 and 8); 0 for float
 *     weights
 * @param scaleBlocks1 see {@code scaleBlocks}
 * @param activationBytes bytes per element of x and y (2 for bf16)
 */
public record MoeCost(long tokens, long model, long hidden, long experts, int topK, int weightBytes, int scaleBlocks,
    int scaleBlocks1, int activationBytes) {

  public MoeCost {
    if (tokens < 1 || model < 1 || hidden < 1 || experts < 1 || topK < 1 || topK > experts || weightBytes < 1
        || scaleBlocks < 0 || scaleBlocks1 < 0 || activationBytes < 1) {
      throw new IllegalArgumentException("MoeCost: requires positive sizes and 1 <= topK <= experts, got N " + tokens
          + " D " + model + " F " + hidden + " E " + experts + " K " + topK + " weight bytes " + weightBytes);
    }
  }

  /** bf16 weights and activations. */
  public static MoeCost bf16(long tokens, long model, long hidden, long experts, int topK) {
    return new MoeCost(tokens, model, hidden, experts, topK, 2, 0, 0, 2);
  }

  /** Grok-1's int8 weights (scale blocks 1, 1 and 8) with bf16 activations. */
  public static MoeCost int8(long tokens, long model, long hidden, long experts, int topK) {
    return new MoeCost(tokens, model, hidden, experts, topK, 1, 1, 8, 2);
  }

  /** {@code 2 · N · K · 3 · D · F}. */
  public double usefulFlops() { return 2.0 * tokens * topK * 3 * model * hidden; }

  /** Experts whose weights must be read: {@code min(E, N·K)}. */
  public long touchedExperts() { return Math.min(experts, tokens * topK); }

  /** Bytes of one expert's three matrices (and their scales). */
  public double expertBytes() {
    return 3.0 * model * hidden * weightBytes + 2.0 * (2L * scaleBlocks * hidden + (long) scaleBlocks1 * model);
  }

  /** The fewest bytes one call must move (see the class comment). */
  public double minBytes() {
    return touchedExperts() * expertBytes() + 2.0 * tokens * model * activationBytes + 4.0 * model * experts;
  }

  /** The larger of FLOPs over {@code peakFlops} (FLOP/s) and bytes over {@code bandwidth} (B/s). */
  public double floorSeconds(double peakFlops, double bandwidth) {
    return Math.max(usefulFlops() / peakFlops, minBytes() / bandwidth);
  }

  /** Whether bytes, not FLOPs, set the floor on that machine. */
  public boolean memoryBound(double peakFlops, double bandwidth) {
    return minBytes() / bandwidth >= usefulFlops() / peakFlops;
  }
}
