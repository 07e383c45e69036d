package org.xla4j.models.attention;

import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/**
 * One layer's key/value cache, as Grok-1's KVMemory: {@code k} and {@code v} of shape
 * {@code [batch, max_len, kv_heads, head_dim]} and {@code step}, the number of positions written:
 * an i32 scalar shared by the batch, or one per row [batch] for one-token decode steps (ragged prompts
 * are prefilled with a scalar step and a padding mask).
 * {@link Mechanism#DECODE} writes the new keys and values at {@code step} and returns the memory with
 * {@code step} advanced; a prefill is the same call with {@code step = 0} and the whole prompt.
 */
public record KVMemory(Tensor k, Tensor v, Tensor step) {
  static {
    org.xla4j.ir.CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  /** An empty cache (zeros, step 0). */
  public static KVMemory empty(Graph g, DType dtype, long batch, long maxLen, long kvHeads, long headDim) {
    return new KVMemory(g.zeros(dtype, batch, maxLen, kvHeads, headDim), g.zeros(dtype, batch, maxLen, kvHeads, headDim),
        g.scalar(0L, DType.I32));
  }

  /** Cache length (max_len). */
  public long maxLength() { return k.dim(1); }
}
