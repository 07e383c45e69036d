package org.xla4j.models.moe;

/**
 * How {@link Moe#apply} evaluates the experts. All compute the same function where nothing is dropped (up
 * to the order of f32 sums); they differ in FLOPs, memory and where they run.
 */
public enum MoeImplementation {
  /**
   * The measured fastest of the others for the layer's shape and the options' platform, from
   * {@link MoeAutoTable}; resolved when {@link Moe#apply} sees the tensors. Never CAPACITY (it can drop); CAPACITY_CHECKED never drops.
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
  /**
   * CAPACITY's batched matmul at the first capacity of a ladder that holds the busiest expert: {@code C = ceil(N·K/E
   * · capacityFactor)} (default factor 1.25), then twice that (while under N), else DROPLESS: one case on the
   * device, so nothing is ever dropped and the result is DENSE's up to the order of f32 sums.
   * {@link MoeResult#fallback()} is 1 where DROPLESS ran.
   * The DROPLESS branch follows {@link MoeOptions#tileSize()} and {@link MoeOptions#raggedDot()}.
   *
   * <pre>{@code
   * MoeOptions o = MoeOptions.builder().implementation(MoeImplementation.CAPACITY_CHECKED).capacityFactor(1.25).build();
   * MoeResult r = Moe.apply(o, x, weights);   // r.dropped() is 0; r.fallback() is 1 where DROPLESS ran
   * }</pre>
   */
  CAPACITY_CHECKED,
  /** Decode: gathers only the selected experts' weights per token copy ({@code [N·K, D, F]}); for small N. */
  FEW_TOKENS
}
