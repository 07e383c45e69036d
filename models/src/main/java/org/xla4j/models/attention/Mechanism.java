package org.xla4j.models.attention;

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

  /** Whether this mechanism runs on a backend of the given platform name ({@code cpu}, {@code cuda}, ...). */
  public boolean runsOn(String platform) {
    String p = platform == null ? "" : platform.toLowerCase(java.util.Locale.ROOT);
    return switch (this) {
      case VANILLA, BLOCKWISE, DECODE, CUSTOM -> true;
      case CUDNN -> p.equals("cuda") || p.equals("gpu");
      case RING -> false;
    };
  }
}
