package org.xla4j.models.moe;

import org.xla4j.dsl.Tensor;

/**
 * What {@link Moe#apply} returns.
 *
 * @param output the layer output, x's shape and dtype
 * @param auxLoss the Switch-style load-balancing loss (f32 scalar), {@code E · Σ_e f_e · P_e} with {@code f_e}
 *     the fraction of the N·K token copies routed to expert e and {@code P_e} its mean router probability
 *     (1 when perfectly balanced)
 * @param dropped token copies dropped for capacity (i32 scalar; always 0 except for CAPACITY)
 * @param experts the selected experts per token, i32 {@code [N, K]} (N = tokens, flattened), best first
 * @param gates their gates, f32 {@code [N, K]} (before the rounding to bf16 of the combination)
 * @param fallback i32 scalar: 1 when {@link MoeImplementation#CAPACITY_CHECKED} found an expert over capacity and
 *     ran its DROPLESS branch, else 0 (always 0 for the other implementations)
 * @param rung i32 scalar: the branch {@link MoeImplementation#CAPACITY_CHECKED} ran, 0 for the first capacity rung of
 *     its ladder ({@link MoeOptions#ladder()}), 1 for the second, ..., the number of rungs kept for this layer's
 *     size for DROPLESS; -1 for the other implementations, which have no ladder
 */
public record MoeResult(Tensor output, Tensor auxLoss, Tensor dropped, Tensor experts, Tensor gates, Tensor fallback,
    Tensor rung) {}
