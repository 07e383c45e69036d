package org.xla4j.models.moe;

/**
 * How {@link Moe#apply} evaluates the experts. All compute the same function where nothing is dropped (up
 * to the order of f32 sums); they differ in FLOPs, memory and where they run.
 */
public enum MoeImplementation {
  /**
   * The measured fastest of the others for the layer's shape and the options' platform, from
   * {@link MoeAutoTable}; resolved when {@link Moe#apply} sees the tensors. Never CAPACITY (it can drop).
   */
  AUTO,
  /** Every expert on every token, then the gated sum (Grok-1's own way). The reference; E/K times the FLOPs. */
  DENSE,
  /**
   * Token copies sorted by expert, one grouped matmul, unsorted, gated sum; nothing is dropped. Portable form:
   * groups padded to tiles of {@link MoeOptions#tileSize()} rows, a loop over tiles each reading one expert's
   * weights. With {@link MoeOptions#raggedDot()} (and a platform that takes it) the grouped matmul is one
   * {@code chlo.ragged_dot}.
   */
  DROPLESS,
  /**
   * Per-expert capacity {@code C = ceil(N·K/E · capacityFactor)}; copies beyond it are dropped (gate 0) and
   * counted; one batched matmul over {@code [E, C, D]}.
   */
  CAPACITY,
  /** Decode: gathers only the selected experts' weights per token copy ({@code [N·K, D, F]}); for small N. */
  FEW_TOKENS
}
