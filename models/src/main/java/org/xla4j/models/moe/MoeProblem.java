package org.xla4j.models.moe;

import org.xla4j.dsl.Tensor;

/**
 * One validated MoE call as every implementation sees it: tokens flattened to {@code x [N, D]}, the routing
 * ({@code probs [N, E]} f32, {@code experts [N, K]} i32, {@code gates [N, K]} f32), the weights and the static sizes.
 */
record MoeProblem(MoeOptions options, Tensor x, Tensor probs, Tensor experts, Tensor gates, MoeWeights weights, long tokens,
    long model, long hidden, long numExperts, int topK) {
  /** The same call over {@code w} (e.g. the weights in another layout). */
  MoeProblem withWeights(MoeWeights w) {
    return new MoeProblem(options, x, probs, experts, gates, w, tokens, model, hidden, numExperts, topK);
  }
}
