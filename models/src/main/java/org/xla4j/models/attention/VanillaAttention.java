package org.xla4j.models.attention;

import org.xla4j.dsl.Tensor;

/**
 * {@link Mechanism#VANILLA}: the whole [B, Hkv, G, Sq, Sk] logits at once, f32 softmax, one matmul
 * with V. The reference the other mechanisms are tested against.
 */
final class VanillaAttention implements AttentionImpl {
  @Override
  public AttentionResult compute(AttentionProblem p) {
    Tensor q5 = Core.groupQueries(p, p.q());
    Tensor s = Core.logits(p, q5, p.k());
    s = Core.maskBlock(p, s, null, null, p.bias(), p.mask(), p.qSegmentIds(), p.kvSegmentIds(), null);
    Tensor w = softmax(s);
    Tensor weights = p.options().returnWeights()
        ? w.reshape(p.batch(), p.heads(), p.qLength(), p.keyLength()) : null;
    if (p.dropoutKey() != null) w = Core.dropout(w, p.options().dropoutRate(), p.dropoutKey());
    Tensor out = Core.ungroup(p, Core.weighted(p, w, p.v()));
    return new AttentionResult(finish(p, out), weights, null);
  }

  /** f32 softmax over the last axis where fully hidden rows give zeros. */
  static Tensor softmax(Tensor s) {
    Tensor m = Core.safeMax(s.max(-1, true));
    Tensor e = s.sub(m).exp();
    return e.div(e.sum(-1, true).maximum(Core.TINY));
  }

  /** Output multiplier and the cast back to q's dtype. */
  static Tensor finish(AttentionProblem p, Tensor out) {
    double mult = p.options().attnOutputMultiplier();
    return (mult == 1.0 ? out : out.mul(mult)).astype(p.q().dtype());
  }
}
