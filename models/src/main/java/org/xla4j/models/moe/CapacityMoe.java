package org.xla4j.models.moe;

import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/**
 * {@link MoeImplementation#CAPACITY}: each expert takes at most {@code C = ceil(N·K/E · capacityFactor)} token
 * copies into a dense {@code [E, C, D]} buffer; one batched matmul; copies beyond C are dropped (their gate
 * is 0, so a token whose copies are all dropped gets 0) and counted.
 *
 * <p>Priority is by choice rank, then token order: every token's first choice is placed before any second
 * choice (as GShard's capacity routing), so overflow drops second choices first.
 */
final class CapacityMoe implements MoeImpl {
  /** The capacity per expert for {@code copies = N·K} token copies over {@code experts} experts. */
  static long capacity(long copies, long experts, double factor) {
    return Math.max(1, (long) Math.ceil((double) copies / experts * factor));
  }

  /**
   * Where each token copy goes: copies in priority order (rank-major, {@code [K, N]} flattened), their expert,
   * whether they fit, and their slot {@code e·C + pos} in the {@code [E·C]} buffer (past it when dropped, which
   * scatter ignores).
   */
  record Slots(Tensor ids, Tensor kept, Tensor slot, Tensor dropped, long capacity) {}

  static Slots slots(MoeProblem p) {
    long n = p.tokens();
    int k = p.topK();
    long e = p.numExperts();
    long c = capacity(n * k, e, p.options().capacityFactor());
    Tensor ids = p.experts().transpose(1, 0).reshape(k * n);
    Tensor hot = ids.oneHot((int) e, DType.I32);                              // [KN, E]
    Tensor before = hot.cumsum(0).sub(hot);                                   // copies of e ahead of this one
    Tensor pos = before.mul(hot).sum(1);                                      // [KN]
    Tensor kept = pos.lt(c);
    Tensor dropped = kept.not().astype(DType.I32).sum();
    return new Slots(ids, kept, Jnp.where(kept, ids.mul(c).add(pos), e * c), dropped, c);
  }

  /**
   * The {@code [E·C, D]} buffer: each slot's token row, zeros where no copy landed. A gather of x by the token each
   * slot holds (a scatter of copy ids into an {@code [E·C]} index, small), not a scatter of the {@code [K·N, D]} rows
   * into a zeroed buffer: on the H200 that pair was ~70 us per layer of a 2,048-token prefill (zeros, then the
   * scatter), the gather a copy of the buffer's bytes.
   */
  static Tensor dispatch(MoeProblem p, Tensor slot, long c) {
    Graph g = p.x().graph();
    long n = p.tokens();
    long copies = n * p.topK();
    long slots = p.numExperts() * c;
    // copy id + 1 per slot (0: empty); kept copies have distinct slots, dropped ones a slot past the end (ignored)
    Tensor held = g.zeros(DType.I32, slots).scatterAdd(slot, g.arange(1, copies + 1, 1, DType.I32));
    Tensor token = held.sub(1L).maximum(0L).rem(n);                         // copies are rank-major: copy = r·N + t
    Tensor rows = p.x().take(token, 0);
    return Jnp.where(held.gt(0L).expandDims(-1), rows, 0.0);
  }

  @Override
  public Out compute(MoeProblem p) {
    return forward(p).out();
  }

  /**
   * The forward and what a backward can reuse from it: the FFN's first products {@code a, v [E, C, F]} and each
   * copy's expert output {@code [N, K, D]} (0 for a dropped copy).
   */
  record Saved(Out out, Tensor a, Tensor v, Tensor copies) {}

  static Saved forward(MoeProblem p) {
    long n = p.tokens();
    int k = p.topK();
    long e = p.numExperts();
    Slots s = slots(p);
    long c = s.capacity();
    Tensor slot = s.slot();
    Tensor buf = dispatch(p, slot, c).reshape(e, c, p.model());
    Experts.Parts f = Experts.ffnParts(buf, p.weights(), p.options());
    Tensor y = f.y().reshape(e * c, p.model());
    Tensor back = y.take(slot.minimum(e * c - 1), 0).reshape(k, n, p.model()).transpose(1, 0, 2);   // [N, K, D]
    Tensor kept = s.kept().reshape(k, n).transpose(1, 0);
    Tensor gates = Jnp.where(kept, p.gates(), 0.0);
    Out out = new Out(Experts.combine(back, gates, p.x().dtype(), p.options()), s.dropped());
    return new Saved(out, f.a(), f.v(), back.mul(kept.astype(back.dtype()).expandDims(-1)));
  }
}
