package org.xla4j.models.attention;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * BLOCKWISE attention with its own blockwise backward (a {@link Autodiff#customVjp}, FlashAttention-2's
 * recipe): the forward returns the output and each query row's logsumexp {@code lse}; the backward
 * recomputes {@code P = exp(S - lse)} block by block and accumulates
 * <pre>
 *   dV += Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ∘ (dP − rowsum(dO ∘ O)),  dQ += dS·K·scale,  dK += dSᵀ·Q·scale
 * </pre>
 * in f32 (f64 for f64 inputs), so neither direction builds the S × S matrix; live memory is
 * O(B·H·S·c) per step for a block size {@code c}.
 *
 * <p><b>Causal blocks are skipped, not masked.</b> q and k are cut into blocks of one size c (n = S/c); the
 * diagonal offset d pairs query blocks d..n−1 with key blocks 0..n−1−d on static slices, and the steps,
 * unrolled here in Java, each do about n such pairs in one batched dot_general ({@link BlockwiseBlocks}: the
 * diagonal first, then offsets d and n − d together). Pairs above the diagonal never appear, so causal
 * attention does n(n+1)/2 of the n² block products, and only the diagonal blocks need the in-block causal
 * mask. Without causal, step j pairs every query block with key block j. No {@code while} and no
 * {@code cond}; n is at most {@link #MAX_BLOCKS} (the block size grows at long sequences to keep that bound).
 *
 * <p>Masks and bias that vary only along the keys (a (B, Sk) padding mask, a [B|1, H|1, 1, Sk] bias) and
 * segment ids are applied per block, sliced from [.., n, .., c] vectors. A mask or bias that varies along
 * the queries, and dropout, go through {@link BlockwiseGrad}'s differentiated scan instead ({@link #supports};
 * masked, not skipped, but exact).
 * Sequences that the block does not divide are padded: padded keys are hidden, padded query rows are
 * computed and sliced away (their output cotangent is zero, so they add nothing to dK and dV).
 */
final class BlockwiseVjp {
  /**
   * Automatic block size: S/8 within [512, 1024]; at most {@link #MAX_BLOCKS} blocks either way. H200, bf16 causal
   * B1 H8 D128 forward+backward at S8192 (scripts/device-round7.sh C, 2026-12-02): block 256 7.60 ms / 1.86 GB temp,
   * 512 4.82 ms / 1.59 GB, 1024 3.73 ms / 1.36 GB; S16384 at 1024: 12.84 ms / 4.37 GB.
   */
  static final long MIN_AUTO_BLOCK = 512;
  static final long MAX_AUTO_BLOCK = 1024;
  /** The most blocks along a sequence (the program has about n/2 causal steps); smaller requested blocks are coarsened. */
  static final long MAX_BLOCKS = 32;

  private BlockwiseVjp() {}

  /**
   * Whether this VJP computes the problem's gradient: no dropout, and a mask or bias (rank 5, [b, hkv|1,
   * g|1, sq|1, sk|1]) only when it is the same for every query row. Otherwise the scan form does.
   */
  static boolean supports(AttentionProblem p) {
    return p.dropoutKey() == null && (p.bias() == null || p.bias().dim(3) == 1)
        && (p.mask() == null || p.mask().dim(3) == 1);
  }

  /**
   * The block size c: with causal one size for queries and keys (the smaller of the two chunk options),
   * without causal the key chunk (every step takes all queries); 0 picks S/8 within [512, 1024]. Never
   * more than the longer sequence, and large enough that there are at most {@link #MAX_BLOCKS} blocks.
   */
  static long block(AttentionProblem p) {
    AttentionOptions o = p.options();
    return block(o.queryChunkSize(), o.keyChunkSize(), p.qLength(), p.keyLength(), o.causal());
  }

  static long block(int queryChunk, int keyChunk, long sq, long sk, boolean causal) {
    long len = causal ? Math.max(sq, sk) : sk;
    long want = causal ? Math.min(option(queryChunk, len), option(keyChunk, len)) : option(keyChunk, len);
    long steps = causal ? sq : sk;
    long floor = (steps + MAX_BLOCKS - 1) / MAX_BLOCKS;
    return Math.max(1, Math.min(Math.max(want, floor), len));
  }

  private static long option(int chunk, long len) {
    return chunk == 0 ? Math.clamp(len / 8, MIN_AUTO_BLOCK, MAX_AUTO_BLOCK) : chunk;
  }

  /** BLOCKWISE's differentiable output [B, Sq, H, Dv] (q's dtype) with this backward. */
  static Tensor apply(AttentionProblem p) {
    Tree<Tensor> in = Tree.of(Map.of("q", p.q(), "k", p.k(), "v", p.v()));
    return Autodiff.customVjp(x -> {
      BlockwiseBlocks l = new BlockwiseBlocks(BlockwiseGrad.with(p, x), block(p));
      Result r = forward(l);
      Tree<Tensor> res = Tree.of(Map.of("q", x.get("q"), "k", x.get("k"), "v", x.get("v"), "out", r.out(), "lse", r.lse()));
      return Autodiff.Forward.of(Tree.of(Map.of("out", r.out())), res);
    }, (res, ct) -> backward(new BlockwiseBlocks(BlockwiseGrad.with(p, res), block(p)), res, ct.get("out"))).apply(in)
        .get("out");
  }

  // ------------------------------------------------------------------------------------------ forward

  /** The forward's output [B, Sq, H, Dv] (q's dtype) and each query row's logsumexp [B, Hkv, nq, G, c, 1] (acc). */
  record Result(Tensor out, Tensor lse) {}

  /** Online softmax over the steps. */
  static Result forward(BlockwiseBlocks l) {
    AttentionProblem p = l.p;
    double cap = p.options().logitSoftCap();
    Tensor qB = l.queryBlocks(p.q());
    Tensor kB = l.keyBlocks(p.k());
    Tensor vB = l.keyBlocks(p.v());
    Tensor m = null;
    Tensor sum = null;
    Tensor acc = null;
    for (BlockwiseBlocks.Step s : l.steps) {
      Tensor logits = l.rawLogits(s, l.rows(s, qB), l.cols(s, kB, true));
      if (cap > 0) logits = logits.div(cap).tanh().mul(cap);
      logits = l.mask(s, logits);
      Tensor rowMax = logits.max(-1, true);
      if (m == null && s.runs().size() == 1 && s.runs().get(0).q0() == 0 && s.m() == l.nq) {
        // the first step covers every query row once: it starts the running statistics
        Tensor e = logits.sub(Core.safeMax(rowMax)).exp();
        m = rowMax;
        sum = e.sum(-1, true);
        acc = l.weightsDotCols(s, e, l.cols(s, vB, true));
        continue;
      }
      if (m == null) {
        m = l.g.full(l.acc, Core.NEG, l.b(), l.hkv(), l.nq, l.grp(), l.c, 1);
        sum = l.g.zeros(l.acc, l.b(), l.hkv(), l.nq, l.grp(), l.c, 1);
        acc = l.g.zeros(l.acc, l.b(), l.hkv(), l.nq, l.grp(), l.c, p.valueDim());
      }
      // a query block may sit in both runs of a step: the maxima go in run by run, so both runs'
      // exponentials are taken against the block's final maximum and the old sums are rescaled once
      Tensor mNew = l.maxRows(s, m, rowMax);
      Tensor e = logits.sub(Core.safeMax(l.rows(s, mNew))).exp();
      long[] span = l.rowSpan(s);
      Tensor corr = l.span(m, span).sub(l.span(mNew, span)).exp();
      sum = l.addRows(s, l.putSpan(sum, span, l.span(sum, span).mul(corr)), e.sum(-1, true));
      acc = l.addRows(s, l.putSpan(acc, span, l.span(acc, span).mul(corr)), l.weightsDotCols(s, e, l.cols(s, vB, true)));
      m = mNew;
    }
    Tensor o = acc.div(sum.maximum(Core.TINY));
    if (p.options().attnOutputMultiplier() != 1.0) o = o.mul(p.options().attnOutputMultiplier());
    // a row with no visible key has sum 0 and output 0; lse 1e30 makes its recomputed P exactly 0
    Tensor lse = Jnp.where(sum.gt(0.0), Core.safeMax(m).add(sum.maximum(Core.TINY).log()), -Core.NEG);
    return new Result(l.queryRows(o.astype(p.q().dtype())), lse);
  }

  // ----------------------------------------------------------------------------------------- backward

  /** dq, dk, dv (BTNH, the inputs' types) from the residuals {q, k, v, out, lse} and d(out). */
  static Tree<Tensor> backward(BlockwiseBlocks l, Tree<Tensor> res, Tensor dOut) {
    AttentionProblem p = l.p;
    DType dt = p.q().dtype();
    double cap = p.options().logitSoftCap();
    double mult = p.options().attnOutputMultiplier();
    Tensor dO = dOut.astype(l.acc);
    // delta = rowsum(dO_kernel ∘ O_kernel) = rowsum(d(out) ∘ out): the multiplier cancels
    Tensor delta = l.queryBlocks(dO.mul(res.get("out").astype(l.acc)).sum(3, true));
    Tensor dOB = l.queryBlocks((mult == 1.0 ? dO : dO.mul(mult)).astype(dt));
    Tensor qB = l.queryBlocks(p.q());
    Tensor kB = l.keyBlocks(p.k());
    Tensor vB = l.keyBlocks(p.v());
    Tensor lse = res.get("lse");
    Tensor dq = null;
    Tensor dk = null;
    Tensor dv = null;
    List<Tensor> dkCols = new ArrayList<>();
    List<Tensor> dvCols = new ArrayList<>();
    for (BlockwiseBlocks.Step s : l.steps) {
      Tensor qs = l.rows(s, qB);
      Tensor ks = l.cols(s, kB, true);
      Tensor vs = l.cols(s, vB, true);
      Tensor dOs = l.rows(s, dOB);
      Tensor raw = l.rawLogits(s, qs, ks);
      Tensor t = cap > 0 ? raw.div(cap).tanh() : null;
      Tensor pr = l.mask(s, t != null ? t.mul(cap) : raw).sub(l.rows(s, lse)).exp();
      Tensor dpv = l.rowsDotCols(s, dOs, vs, l.acc).astype(l.acc);
      Tensor ds = pr.mul(dpv.sub(l.rows(s, delta)));
      // d(cap·tanh(x/cap))/dx = 1 - tanh², and raw = scale·q·k
      if (t != null) ds = ds.mul(t.square().rsub(1.0));
      if (p.scale() != 1.0) ds = ds.mul(p.scale());
      Tensor dsLow = ds.astype(dt);
      Tensor dvStep = l.weightsTDotRows(s, pr, dOs);
      Tensor dkStep = l.weightsTDotRows(s, dsLow, qs);
      dq = l.addRows(s, dq, l.weightsDotCols(s, dsLow, ks));
      if (!s.paired()) {
        // each key block has exactly one step: its gradient is complete
        dkCols.add(dkStep.expandDims(2));
        dvCols.add(dvStep.expandDims(2));
        continue;
      }
      dk = l.addCols(s, dk, dkStep);
      dv = l.addCols(s, dv, dvStep);
    }
    if (!dkCols.isEmpty()) {
      dk = dkCols.size() == 1 ? dkCols.get(0) : Jnp.concat(2, dkCols);
      dv = dvCols.size() == 1 ? dvCols.get(0) : Jnp.concat(2, dvCols);
    }
    return Tree.of(Map.of("q", l.queryRows(dq).astype(dt), "k", l.keyRows(dk).astype(p.k().dtype()),
        "v", l.keyRows(dv).astype(p.v().dtype())));
  }
}
