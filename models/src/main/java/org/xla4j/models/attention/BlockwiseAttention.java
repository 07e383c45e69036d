package org.xla4j.models.attention;

import java.util.List;
import java.util.Map;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.tree.Tree;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/**
 * {@link Mechanism#BLOCKWISE}: the Blockwise Parallel Transformer's {@code blockwise_compute_attn}.
 * An outer loop over query chunks and an inner loop over key chunks keep a running max {@code m}, a
 * running denominator {@code l} and an f32 accumulator per query row (online softmax):
 * <pre>
 *   m' = max(m, rowmax(s));  p = exp(s - m');  l' = l·exp(m - m') + rowsum(p);  acc' = acc·exp(m - m') + p·V
 * </pre>
 * Bias, mask, segment ids and the causal mask are applied per chunk (sliced, never built whole), so
 * live memory is O(B·H·qChunk·kChunk) for the block plus O(B·H·Sq·D) for the output.
 *
 * <p><b>Loops, not unrolling.</b> Both loops are {@code stablehlo.while} ({@link Lax#foriLoop} /
 * {@link Lax#whileLoop}): the program's size does not grow with the sequence (an unrolled 16k sequence
 * with 256-chunks would be 2,000 blocks to compile), and the memory bound holds by construction rather
 * than by the scheduler's choice. With {@code causal}, the inner loop's trip count depends on the query
 * chunk, {@code ceil((q0 + qChunk) / kChunk)}: chunks wholly above the diagonal are never visited, so
 * causal attention does about half the work, without a {@code cond}.
 *
 * <p><b>Chunk sizes that do not divide the sequence.</b> A chunk size larger than its sequence is cut to
 * the sequence length. Otherwise q is padded with zeros to a multiple of the query chunk and k/v to a
 * multiple of the key chunk; padded keys are hidden (position >= Sk) and padded query rows are computed
 * and sliced away. Results equal the unpadded computation; the cost is the padded work of the last chunk.
 *
 * <p>Dropout draws an independent mask per (query chunk, key chunk) block from the key, so it is a
 * different draw than VANILLA's for the same key (same distribution).
 *
 * <p><b>Differentiated</b> (inside {@link Autodiff#grad} and friends), BLOCKWISE is a custom VJP with its own
 * blockwise backward ({@link BlockwiseVjp}: forward with the per-row logsumexp, backward recomputing the
 * probabilities block by block, causal blocks skipped). With a mask or bias that varies along the queries
 * the loops above stay the forward and the backward differentiates {@link BlockwiseGrad}'s scan instead.
 */
final class BlockwiseAttention implements AttentionImpl {
  /**
   * Auto chunk (option 0): a quarter of the sequence, kept within [512, 2048]. Measured on the H100
   * (bench/results/attention-gpu-2026-11-23.md): the blocks are bound by memory traffic on the score
   * block, and 2048x2048 chunks were fastest at S8192 and S16384 (2.2x and 2.8x JAX's xla path, vs
   * 2.1x and 2.3x at 1024), while at S2048 512-chunks keep memory at a tenth of VANILLA's.
   */
  static final int MIN_AUTO_CHUNK = 512;
  static final int MAX_AUTO_CHUNK = 2048;

  @Override
  public AttentionResult compute(AttentionProblem p) {
    if (!Autodiff.isDifferentiating() || p.dropoutKey() != null) return forward(p);
    // differentiated: its own blockwise backward (BlockwiseVjp: causal blocks skipped, nothing saved per
    // step) where it applies; with a mask or bias that varies along the queries, the loops stay the forward
    // and the backward differentiates a scan over key chunks (BlockwiseGrad: exact, but causal blocks masked)
    if (BlockwiseVjp.supports(p)) return new AttentionResult(BlockwiseVjp.apply(p), null, null);
    Tree<Tensor> in = Tree.of(Map.of("q", p.q(), "k", p.k(), "v", p.v()));
    Tensor out = Autodiff.customVjp(
        x -> Autodiff.Forward.of(Tree.of(Map.of("out", forward(BlockwiseGrad.with(p, x)).output())), x),
        (res, ct) -> Autodiff.vjp(x -> Tree.of(Map.of("out", BlockwiseGrad.scanForm(BlockwiseGrad.with(p, x)))), res)
            .pullback(ct)).apply(in).get("out");
    return new AttentionResult(out, null, null);
  }

  private AttentionResult forward(AttentionProblem p) {
    Graph g = p.q().graph();
    AttentionOptions o = p.options();
    long sq = p.qLength();
    long sk = p.keyLength();
    long qc = chunk(o.queryChunkSize(), sq);
    long kc = chunk(o.keyChunkSize(), sk);
    long nq = (sq + qc - 1) / qc;
    long nk = (sk + kc - 1) / kc;
    long sqp = nq * qc;
    long skp = nk * kc;
    long b = p.batch();
    long hkv = p.kvHeads();
    long grp = p.groups();
    long dv = p.valueDim();

    Tensor q5 = Core.padTo(Core.groupQueries(p, p.q()), 3, sqp, 0);
    Tensor k = Core.padTo(p.k(), 1, skp, 0);
    Tensor v = Core.padTo(p.v(), 1, skp, 0);
    Tensor bias = Core.padTo(Core.padTo(p.bias(), 3, sqp, 0), 4, skp, 0);
    Tensor mask = Core.padTo(Core.padTo(p.mask(), 3, sqp, 0), 4, skp, 0);
    Tensor qSeg = Core.padTo(p.qSegmentIds(), 1, sqp, -1);
    Tensor kSeg = Core.padTo(p.kvSegmentIds(), 1, skp, -2);
    Tensor keyLimit = skp > sk ? g.scalar(sk, DType.I32) : null;
    Tensor zero = g.scalar(0L, DType.I32);

    Tensor out0 = g.zeros(p.q().dtype(), b, hkv, grp, sqp, dv);
    Tensor out = Lax.foriLoop(0, (int) nq, out0, (qi, acc0) -> {
      Tensor q0 = qi.mul(qc);
      Tensor qb = q5.dynamicSlice(3, q0, qc);
      Tensor biasQ = Core.sliceIfFull(bias, 3, q0, qc);
      Tensor maskQ = Core.sliceIfFull(mask, 3, q0, qc);
      Tensor qSegB = Core.sliceIfFull(qSeg, 1, q0, qc);
      // causal: key chunks starting after this query chunk's last row are skipped
      Tensor trips = o.causal()
          ? q0.add(qc - 1).intDiv(kc).add(1L).minimum(nk)
          : g.scalar(nk, DType.I32);
      List<Tensor> init = List.of(zero,
          g.full(Core.acc(p), Core.NEG, b, hkv, grp, qc, 1),
          g.zeros(Core.acc(p), b, hkv, grp, qc, 1),
          g.zeros(Core.acc(p), b, hkv, grp, qc, dv));
      List<Tensor> r = Lax.whileLoop(init, st -> st.get(0).lt(trips), st -> {
        Tensor j = st.get(0);
        Tensor m = st.get(1);
        Tensor l = st.get(2);
        Tensor acc = st.get(3);
        Tensor k0 = j.mul(kc);
        Tensor kb = k.dynamicSlice(1, k0, kc);
        Tensor vb = v.dynamicSlice(1, k0, kc);
        Tensor s = Core.logits(p, qb, kb);
        s = Core.maskBlock(p, s, q0, k0, Core.sliceIfFull(biasQ, 4, k0, kc), Core.sliceIfFull(maskQ, 4, k0, kc),
            qSegB, Core.sliceIfFull(kSeg, 1, k0, kc), keyLimit);
        Tensor mNew = m.maximum(s.max(-1, true));
        Tensor pe = s.sub(Core.safeMax(mNew)).exp();
        Tensor corr = m.sub(mNew).exp();
        Tensor lNew = l.mul(corr).add(pe.sum(-1, true));
        if (p.dropoutKey() != null) {
          pe = Core.dropout(pe, o.dropoutRate(), blockKey(p.dropoutKey(), qi.mul(nk).add(j)));
        }
        Tensor accNew = acc.mul(corr).add(Core.weighted(p, pe, vb));
        return List.of(j.add(1L), mNew, lNew, accNew);
      });
      Tensor res = r.get(3).div(r.get(2).maximum(Core.TINY));
      if (o.attnOutputMultiplier() != 1.0) res = res.mul(o.attnOutputMultiplier());
      return acc0.dynamicUpdateSlice(res.astype(acc0.dtype()), zero, zero, zero, q0, zero);
    });
    if (sqp > sq) out = out.slice(3, 0, sq);
    return new AttentionResult(Core.ungroup(p, out), null, null);
  }

  static long chunk(int option, long len) {
    long c = option == 0 ? Math.clamp(len / 4, MIN_AUTO_CHUNK, MAX_AUTO_CHUNK) : option;
    return Math.max(1, Math.min(c, len));
  }

  /** An independent generator state per block: the key's first word offset by a multiple of the block id. */
  private static Tensor blockKey(Tensor key, Tensor blockId) {
    Graph g = key.graph();
    Tensor off = blockId.astype(DType.U64).add(1L).mul(0x5851F42D4C957F2DL).reshape(1);
    return key.add(Jnp.concat(0, off, g.zeros(DType.U64, 1)));
  }
}
