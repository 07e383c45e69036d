package org.xla4j.models.zeta;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * LoRA adapters (Hu et al. 2021) on some of {@link ZetaBlock}'s projections, as zeta's {@code Lora}: a
 * projection {@code x·W} becomes {@code x·W + (alpha / rank)·(x·A)·B} with {@code A [in, rank]} and
 * {@code B [rank, out]}. {@link ZetaBlock#init} draws A from N(0, 1) and sets B to zero, so an adapter has no
 * effect until B is trained.
 *
 * <pre>{@code
 * LoraConfig lora = LoraConfig.of(8);                                    // rank 8, alpha 8, on q, k, v and o
 * LoraConfig qv = new LoraConfig(4, 16, EnumSet.of(LoraTarget.Q, LoraTarget.V));   // scale 16/4 = 4
 * }</pre>
 *
 * @param rank the inner dimension r, > 0
 * @param alpha the adapter's output is scaled by alpha / rank (finite)
 * @param targets the projections that carry an adapter, at least one
 */
public record LoraConfig(int rank, double alpha, Set<LoraTarget> targets) {
  public LoraConfig {
    if (rank <= 0) throw new IllegalArgumentException("LoraConfig: option 'rank' must be > 0, got " + rank);
    if (!Double.isFinite(alpha)) throw new IllegalArgumentException("LoraConfig: option 'alpha' must be finite, got " + alpha);
    Objects.requireNonNull(targets, "LoraConfig: option 'targets'");
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("LoraConfig: option 'targets' must name at least one of " + EnumSet.allOf(LoraTarget.class));
    }
    targets = Set.copyOf(EnumSet.copyOf(targets));
  }

  /** Rank {@code r}, alpha = r (scale 1), adapters on q, k, v and o. */
  public static LoraConfig of(int rank) { return new LoraConfig(rank, rank, EnumSet.allOf(LoraTarget.class)); }

  /** The adapters' output multiplier, alpha / rank. */
  public double scale() { return alpha / rank; }

  /** Whether {@code t} carries an adapter. */
  public boolean on(LoraTarget t) { return targets.contains(t); }
}
