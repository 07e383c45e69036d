package org.xla4j.models.attention;

import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/**
 * {@link Mechanism#DECODE}: writes the new keys and values into the {@link KVMemory} at {@code step},
 * then attends the new queries (positions step .. step+Sq-1) over the whole cache. Keys at positions
 * not yet written are hidden; with {@code causal}, key j is visible to the query at position t when
 * j <= t. Returns the memory with step advanced by Sq. A prefill is the same call with step 0.
 *
 * <p>The write is a dynamic_update_slice: as in XLA, a write that would run past max_len is moved
 * back to fit, so keep step + Sq <= max_len.
 */
final class DecodeAttention implements AttentionImpl {
  @Override
  public AttentionResult compute(AttentionProblem p) {
    KVMemory mem = p.memory();
    Tensor step = mem.step().astype(DType.I32);
    Tensor zero = p.q().graph().scalar(0L, DType.I32);
    Tensor kc = mem.k().dynamicUpdateSlice(p.k(), zero, step, zero, zero);
    Tensor vc = mem.v().dynamicUpdateSlice(p.v(), zero, step, zero, zero);
    Tensor q5 = Core.groupQueries(p, p.q());
    Tensor s = Core.logits(p, q5, kc);
    Tensor written = step.add(p.qLength());
    s = Core.maskBlock(p, s, step, null, p.bias(), p.mask(), null, null, written);
    Tensor w = VanillaAttention.softmax(s);
    if (p.dropoutKey() != null) w = Core.dropout(w, p.options().dropoutRate(), p.dropoutKey());
    Tensor out = Core.ungroup(p, Core.weighted(p, w, vc));
    return new AttentionResult(VanillaAttention.finish(p, out), null, new KVMemory(kc, vc, written.astype(mem.step().dtype())));
  }
}
