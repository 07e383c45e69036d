package org.xla4j.dsl;

/**
 * Result of {@link Tensor#topK}: the k largest values along the last axis, in descending order, and
 * their i32 indices.
 *
 * <pre>{@code
 * TopK t = logits.topK(5);
 * Tensor best = t.indices();
 * }</pre>
 */
public record TopK(Tensor values, Tensor indices) {}
