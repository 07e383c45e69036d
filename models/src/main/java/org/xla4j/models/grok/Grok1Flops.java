package org.xla4j.models.grok;

/**
 * Analytic forward-pass FLOPs per token of a Grok-1-style model, counting one multiply-add as two FLOPs
 * and only the matrix products (norms, softmax, RoPE and gelu are lower order). Per layer:
 * <ul>
 *   <li>attention projections: {@code 2·D·(Hq·K)} (query) + {@code 2·2·D·(Hkv·K)} (key, value) +
 *       {@code 2·(Hq·K)·D} (output);</li>
 *   <li>attention scores over a sequence of {@code T} keys: {@code 2·Hq·K·T} (q·k) + {@code 2·Hq·K·T}
 *       (weights·v), every key counted (the program computes the full masked square, not the causal half);</li>
 *   <li>router: {@code 2·D·E};</li>
 *   <li>experts, top-k of E: {@code k·(2·D·F + 2·D·F + 2·F·D)} (linear, linear_v, linear_1);</li>
 * </ul>
 * and once: the tied output projection {@code 2·D·vocab}. The embedding lookup is a gather (no FLOPs).
 *
 * <pre>{@code
 * Grok1Flops f = Grok1Flops.perToken(Grok1Config.full(), 8);
 * double tflops = f.total() * tokensPerSecond / 1e12;
 * }</pre>
 *
 * @param attentionProjections all layers' q, k, v and output projections
 * @param attentionScores all layers' q·k and weights·v at the given sequence length
 * @param router all layers' router products
 * @param experts all layers' top-k expert MLPs
 * @param lmHead the output projection onto the vocabulary
 */
public record Grok1Flops(long attentionProjections, long attentionScores, long router, long experts, long lmHead) {

  /** FLOPs per token of {@code c} when each query attends to {@code seq} keys. */
  public static Grok1Flops perToken(Grok1Config c, long seq) {
    if (seq <= 0) throw new IllegalArgumentException("Grok1Flops.perToken requires seq > 0, got " + seq);
    long d = c.embeddingSize();
    long qd = (long) c.numQHeads() * c.keySize();
    long kvd = (long) c.numKvHeads() * c.keySize();
    long f = c.ffnSize();
    long layers = c.numLayers();
    long proj = 2 * d * qd + 2 * 2 * d * kvd + 2 * qd * d;
    long scores = 2 * qd * seq + 2 * qd * seq;
    long router = 2 * d * c.numExperts();
    long experts = (long) c.numSelectedExperts() * (2 * d * f + 2 * d * f + 2 * f * d);
    return new Grok1Flops(layers * proj, layers * scores, layers * router, layers * experts,
        2 * d * c.vocabSize());
  }

  /** The sum of the parts. */
  public long total() { return attentionProjections + attentionScores + router + experts + lmHead; }
}
