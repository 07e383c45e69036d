package org.xla4j.models.quant;

/** Where the scales of an {@link Weight.Int8} weight are applied. Plain weights ignore it. */
public enum QuantMode {
  /** Dequantize first, {@code bf16(weight · scales)}, then one bf16 matmul: Grok-1's own order. */
  DEQUANTIZE,
  /**
   * Matmul with the int8 values (as bf16, exact), accumulated in f32 per scale block, then times the scales
   * and summed over blocks: {@code Σ_b (x_b · weight_b) · scales[b]}. Reads no dequantized copy of the
   * weight; rounds differently from {@link #DEQUANTIZE} (within bf16 tolerance).
   */
  SCALE_AFTER
}
