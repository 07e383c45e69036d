package org.xla4j.models.moe;

/**
 * How {@link MoeImplementation#FEW_TOKENS} reads the chosen experts' weights. All read only the N·K chosen
 * experts' matrices; they differ in whether XLA can avoid writing a copy of them first (a gathered copy
 * triples the bytes that bound decode). Which one XLA keeps copy-free is a measurement
 * ({@code xla4j bench moe --impl few-tokens}, which reports weight-sized buffers in the optimized HLO).
 */
public enum FewTokensForm {
  /** One gather of {@code [N·K, D, F]} per matrix, then a batched matmul of one row per copy. */
  GATHER,
  /** Unrolled over the N·K copies: a {@code dynamic_slice} of one expert per copy straight into its dots. */
  SLICE,
  /** A loop over the N·K copies, each step a {@code dynamic_slice} of one expert into its dots. */
  SLICE_LOOP,
  /**
   * Unrolled over the N·K copies: a {@code dynamic_slice} of one expert per copy, and each matvec as
   * {@code reduce(convert_f32(slice) · broadcast(x))} rather than a dot, which XLA fuses into one reduction
   * that reads the expert's weights in place (int8: the scales applied after the reduce). For decode, T <= a few.
   */
  REDUCE
}
