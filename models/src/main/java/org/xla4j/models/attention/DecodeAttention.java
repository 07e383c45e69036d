package org.xla4j.models.attention;

import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * {@link Mechanism#DECODE}: writes the new keys and values into the {@link KVMemory} at {@code step},
 * then attends the new queries (positions step .. step+Sq-1) over the whole cache. Keys at positions
 * not yet written are hidden; with {@code causal}, key j is visible to the query at position t when
 * j <= t. Returns the memory with step advanced by Sq. A prefill is the same call with step 0.
 *
 * <p>{@code step} is a scalar (all rows at one position; any number of new tokens) or one per batch row
 * [B] (Grok's per-row steps; one new token per call, written with a select).
 *
 * <p>The scalar-step write is a dynamic_update_slice: as in XLA, a write that would run past max_len is moved
 * back to fit, so keep step + Sq <= max_len.
 */
final class DecodeAttention implements AttentionImpl {
  @Override
  public AttentionResult compute(AttentionProblem p) {
    KVMemory mem = p.memory();
    Graph g = p.q().graph();
    Tensor step = mem.step().astype(DType.I32);
    Tensor kc;
    Tensor vc;
    Tensor at; // the first new position, broadcastable against [B, Hkv, G, Sq, Sk] blocks
    if (step.rank() == 0) {
      Tensor zero = g.scalar(0L, DType.I32);
      kc = mem.k().dynamicUpdateSlice(p.k(), zero, step, zero, zero);
      vc = mem.v().dynamicUpdateSlice(p.v(), zero, step, zero, zero);
      at = step;
    } else {
      // one token per row, each at its own step: a select against the position iota
      Tensor here = g.iota(TensorType.of(DType.I32, p.batch(), mem.maxLength(), 1, 1), 1)
          .eq(step.reshape(p.batch(), 1, 1, 1));
      kc = Jnp.where(here, p.k(), mem.k());
      vc = Jnp.where(here, p.v(), mem.v());
      at = step.reshape(p.batch(), 1, 1, 1, 1);
    }
    Tensor q5 = Core.groupQueries(p, p.q());
    Tensor s = Core.logits(p, q5, kc);
    Tensor written = at.add(p.qLength());
    s = Core.maskBlock(p, s, at, null, p.bias(), p.mask(), null, null, written);
    Tensor w = VanillaAttention.softmax(s);
    if (p.dropoutKey() != null) w = Core.dropout(w, p.options().dropoutRate(), p.dropoutKey());
    Tensor out = Core.ungroup(p, Core.weighted(p, w, vc));
    return new AttentionResult(VanillaAttention.finish(p, out), null, new KVMemory(kc, vc, step.add(p.qLength()).astype(mem.step().dtype())));
  }
}
