package org.xla4j.models.attention;

/** The implementations {@link Attention} dispatches to; each gets a validated {@link AttentionProblem}. */
sealed interface AttentionImpl
    permits VanillaAttention, BlockwiseAttention, CudnnAttention, DecodeAttention, CustomAttention {
  AttentionResult compute(AttentionProblem p);
}
