package org.xla4j.models.grok;

/** How Grok-1's matrices (attention projections, experts) are stored. */
public enum WeightFormat {
  /** bf16 matrices. */
  BF16,
  /**
   * Grok-1's QuantizedWeight8bit: int8 values plus bf16 scales, {@code W[i, o] = bf16(w[i, o] · s[i / (in / nb), o])};
   * nb = 1 (per output channel) for query, key, value and the experts' linear / linear_v, nb = 8 (blocks of
   * input features) for the attention output linear and the experts' linear_1.
   */
  INT8
}
