package org.xla4j.models.attention;

import java.util.Map;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * BLOCKWISE attention as a differentiable {@link Autodiff#scan} over key chunks (all queries at once,
 * online softmax in the carry): what BLOCKWISE's backward differentiates when the call has a mask or bias
 * that varies along the queries ({@link BlockwiseVjp} takes the rest), since its own forward loops ({@code while},
 * with causal trip counts) do not. Memory is O(S·chunk) logits per step plus the carries
 * the scan saves (chunks × [B, H, S, Dv]), never S × S. Causal chunks are masked, not skipped.
 */
final class BlockwiseGrad {
  private BlockwiseGrad() {}

  /** {@code p} with q, k, v from {@code x}. */
  static AttentionProblem with(AttentionProblem p, Tree<Tensor> x) {
    return new AttentionProblem(p.options(), x.get("q"), x.get("k"), x.get("v"), p.batch(), p.qLength(),
        p.keyLength(), p.heads(), p.kvHeads(), p.groups(), p.headDim(), p.valueDim(), p.scale(), p.mask(), p.bias(),
        p.qSegmentIds(), p.kvSegmentIds(), p.dropoutKey(), p.memory());
  }

  static Tensor scanForm(AttentionProblem p) {
    Graph g = p.q().graph();
    AttentionOptions o = p.options();
    long sq = p.qLength();
    long sk = p.keyLength();
    long kc = BlockwiseAttention.chunk(o.keyChunkSize(), sk);
    long nk = (sk + kc - 1) / kc;
    long skp = nk * kc;
    long b = p.batch();
    long hkv = p.kvHeads();
    long grp = p.groups();
    long dv = p.valueDim();
    Tensor q5 = Core.groupQueries(p, p.q());
    // [B, Skp, Hkv, D] -> [nk, B, kc, Hkv, D]: step j sees key chunk j
    Tensor ks = Core.padTo(p.k(), 1, skp, 0).reshape(b, nk, kc, hkv, p.headDim()).transpose(1, 0, 2, 3, 4);
    Tensor vs = Core.padTo(p.v(), 1, skp, 0).reshape(b, nk, kc, hkv, dv).transpose(1, 0, 2, 3, 4);
    Tensor k0s = g.arange(nk, DType.I32).mul(kc);
    Tensor bias = Core.padTo(p.bias(), 4, skp, 0);
    Tensor mask = Core.padTo(p.mask(), 4, skp, 0);
    Tensor kSeg = Core.padTo(p.kvSegmentIds(), 1, skp, -2);
    Tensor keyLimit = skp > sk ? g.scalar(sk, DType.I32) : null;
    Tensor zero = g.scalar(0L, DType.I32);
    Tree<Tensor> init = Tree.of(Map.of("m", g.full(Core.acc(p), Core.NEG, b, hkv, grp, sq, 1),
        "l", g.zeros(Core.acc(p), b, hkv, grp, sq, 1), "acc", g.zeros(Core.acc(p), b, hkv, grp, sq, dv)));
    Autodiff.ScanOut r = Autodiff.scan(init, Tree.of(Map.of("k", ks, "v", vs, "k0", k0s)), Tree.of(Map.of("q", q5)),
        (c, x, consts) -> {
          Tensor k0 = x.get("k0");
          Tensor s = Core.logits(p, consts.get("q"), x.get("k"));
          s = Core.maskBlock(p, s, zero, k0, Core.sliceIfFull(bias, 4, k0, kc), Core.sliceIfFull(mask, 4, k0, kc),
              p.qSegmentIds(), Core.sliceIfFull(kSeg, 1, k0, kc), keyLimit);
          Tensor m = c.get("m");
          // the result does not depend on the running max, so no gradient flows through it
          Tensor mNew = Autodiff.stopGradient(m.maximum(s.max(-1, true)));
          Tensor pe = s.sub(Core.safeMax(mNew)).exp();
          Tensor corr = m.sub(mNew).exp();
          Tensor lNew = c.get("l").mul(corr).add(pe.sum(-1, true));
          Tensor accNew = c.get("acc").mul(corr).add(Core.weighted(p, pe, x.get("v")));
          return new Autodiff.ScanOut(Tree.of(Map.of("m", mNew, "l", lNew, "acc", accNew)), Tree.empty());
        });
    Tensor res = r.carry().get("acc").div(r.carry().get("l").maximum(Core.TINY));
    if (o.attnOutputMultiplier() != 1.0) res = res.mul(o.attnOutputMultiplier());
    return Core.ungroup(p, res.astype(p.q().dtype()));
  }
}
