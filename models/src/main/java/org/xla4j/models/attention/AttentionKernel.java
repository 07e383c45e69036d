package org.xla4j.models.attention;

import org.xla4j.dsl.Tensor;

/**
 * A user-supplied attention implementation for {@link Mechanism#CUSTOM}. It receives the validated,
 * normalized problem (shapes checked, masks in canonical form) and returns the output in BTNH layout
 * {@code [batch, q_seq, heads, v_head_dim]}.
 */
@FunctionalInterface
public interface AttentionKernel {
  Tensor apply(AttentionProblem problem);
}
