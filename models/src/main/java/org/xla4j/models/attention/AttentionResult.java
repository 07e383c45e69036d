package org.xla4j.models.attention;

import org.xla4j.dsl.Tensor;

/**
 * What {@link Attention#compute} returns: the output [B, Sq, H, Dv] (q's dtype), the weights
 * [B, H, Sq, Sk] in f32 when asked for (VANILLA; before dropout), and the updated cache (DECODE), else null.
 */
public record AttentionResult(Tensor output, Tensor weights, KVMemory memory) {}
