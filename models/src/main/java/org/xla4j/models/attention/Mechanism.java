package org.xla4j.models.attention;

import org.xla4j.runtime.Platform;

/**
 * How {@link Attention#apply} computes attention. Every mechanism computes the same function (up to
 * rounding and the dropout draw); they differ in memory, speed and where they run.
 */
public enum Mechanism {
  /** The composed reference: full [B,H,Sq,Sk] logits, f32 softmax. Runs everywhere; can return the weights. */
  VANILLA,
  /**
   * Blockwise Parallel Transformer attention: loops over query and key chunks with an online softmax,
   * memory O(B·H·qChunk·kChunk); causal chunks above the diagonal are never computed.
   */
  BLOCKWISE,
  /** XLA's cuDNN fused attention custom call ({@code __cudnn$fmha*}). CUDA GPUs only. */
  CUDNN,
  /** One step (or a prefill) against a {@link KVMemory} cache: writes the new keys and values, attends over the cache. */
  DECODE,
  /** Sequence-sharded ring attention: reserved for the sharding issue, rejected today. */
  RING,
  /** A user kernel given with {@link AttentionOptions.Builder#custom}. */
  CUSTOM;

  /** Whether this mechanism runs on a backend of the given platform. */
  public boolean runsOn(Platform platform) {
    return switch (this) {
      case VANILLA, BLOCKWISE, DECODE, CUSTOM -> true;
      case CUDNN -> platform == Platform.CUDA;
      case RING -> false;
    };
  }

  /** As {@link #runsOn(Platform)} for a platform name ({@code cpu}, {@code cuda}, ...), as a backend reports it. */
  public boolean runsOn(String platformName) {
    return runsOn(Platform.parse(platformName));
  }
}
