package org.xla4j.models.generate;

import org.xla4j.runtime.Platform;

/**
 * How a Grok-1 {@link LanguageModel} keeps its expert matrices on the device.
 *
 * <pre>{@code
 * LanguageModel lm = LanguageModel.preset("tiny-grok", backend, ExpertStorage.CONTRACTION_MINOR);
 * }</pre>
 */
public enum ExpertStorage {
  /** As the parameter tree has them, {@code [E, in, out]}. */
  AS_TREE,
  /**
   * {@code [E, out, in]}, the contraction axis minor ({@link ExpertLayout}): decode reads each chosen expert along
   * contiguous rows.
   */
  CONTRACTION_MINOR;

  /**
   * The measured better storage for a platform: CONTRACTION_MINOR on GPUs (H200, Grok-1's layer at T1: REDUCE 0.560 ms
   * over it vs 1.010 over the tree's layout, bench/results/moe-h200-2026-12-02-round4.md), AS_TREE on a CPU (the
   * embedded XLA CPU's REDUCE at T1 D512 F2048: 7.9 ms over the tree's layout, 18.1 over the minor one, `xla4j bench
   * moe --backend cpu --shape 1,512,2048 --impl few-tokens --few-tokens reduce,reduce-minor`, 2026-12-02).
   */
  public static ExpertStorage forPlatform(Platform platform) {
    return platform == Platform.CPU ? AS_TREE : CONTRACTION_MINOR;
  }
}
