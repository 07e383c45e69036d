package org.xla4j.models.attention;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.DotDims;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

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
 * <p><b>Causal blocks are skipped, not masked.</b> q and k are cut into blocks of one size c (n = S/c) and the
 * steps, unrolled here in Java, run over the diagonal offset d = 0..n−1: step d pairs query blocks d..n−1
 * with key blocks 0..n−1−d, all n−d pairs in one batched dot_general on static slices. Pairs above the
 * diagonal never appear, so causal attention does n(n+1)/2 of the n² block products, and only d = 0 (the
 * diagonal blocks) needs the in-block causal mask. Without causal, step j pairs every query block with
 * key block j. No {@code while} and no {@code cond}: the program has one step per block offset, at most
 * {@link #MAX_STEPS} (the block size grows at long sequences to keep that bound).
 *
 * <p>Masks and bias that vary only along the keys (a (B, Sk) padding mask, a [B|1, H|1, 1, Sk] bias) and
 * segment ids are applied per block, sliced from [.., n, .., c] vectors. A mask or bias that varies along
 * the queries, and dropout, go through {@link BlockwiseGrad}'s differentiated scan instead ({@link #supports};
 * masked, not skipped, but exact).
 * Sequences that the block does not divide are padded: padded keys are hidden, padded query rows are
 * computed and sliced away (their output cotangent is zero, so they add nothing to dK and dV).
 */
final class BlockwiseVjp {
  /** Automatic block size: S/16 within [512, 1024]; at most {@link #MAX_STEPS} steps either way. */
  static final long MIN_AUTO_BLOCK = 512;
  static final long MAX_AUTO_BLOCK = 1024;
  /** The most unrolled steps (block offsets) a program gets; a larger requested block count is coarsened. */
  static final long MAX_STEPS = 32;

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
   * without causal the key chunk (every step takes all queries); 0 picks S/16 within [512, 1024]. Never
   * more than the longer sequence, and large enough that there are at most {@link #MAX_STEPS} steps.
   */
  static long block(AttentionProblem p) {
    AttentionOptions o = p.options();
    return block(o.queryChunkSize(), o.keyChunkSize(), p.qLength(), p.keyLength(), o.causal());
  }

  static long block(int queryChunk, int keyChunk, long sq, long sk, boolean causal) {
    long len = causal ? Math.max(sq, sk) : sk;
    long want = causal ? Math.min(option(queryChunk, len), option(keyChunk, len)) : option(keyChunk, len);
    long steps = causal ? sq : sk;
    long floor = (steps + MAX_STEPS - 1) / MAX_STEPS;
    return Math.max(1, Math.min(Math.max(want, floor), len));
  }

  private static long option(int chunk, long len) {
    return chunk == 0 ? Math.clamp(len / 16, MIN_AUTO_BLOCK, MAX_AUTO_BLOCK) : chunk;
  }

  /** BLOCKWISE's differentiable output [B, Sq, H, Dv] (q's dtype) with this backward. */
  static Tensor apply(AttentionProblem p) {
    Tree<Tensor> in = Tree.of(Map.of("q", p.q(), "k", p.k(), "v", p.v()));
    return Autodiff.customVjp(x -> {
      Layout l = new Layout(BlockwiseGrad.with(p, x), block(p));
      Tensor[] r = forward(l);
      Tree<Tensor> res = Tree.of(Map.of("q", x.get("q"), "k", x.get("k"), "v", x.get("v"), "out", r[0], "lse", r[1]));
      return Autodiff.Forward.of(Tree.of(Map.of("out", r[0])), res);
    }, (res, ct) -> backward(new Layout(BlockwiseGrad.with(p, res), block(p)), res, ct.get("out"))).apply(in)
        .get("out");
  }

  // ------------------------------------------------------------------------------------------- layout

  /**
   * One step: query blocks [q0, q0+m) against key blocks [k0, k0+m) pairwise ({@code paired}), or against
   * the single key block k0 (not paired). {@code diagonal}: the pairs are (i, i), so the in-block causal
   * mask applies; {@code padded}: the key blocks include the last one, whose tail is padding.
   */
  record Step(long q0, long k0, long m, boolean paired, boolean diagonal, boolean padded) {}

  /** The problem's blocking: block size, counts, padded lengths, and the steps in order. */
  static final class Layout {
    final AttentionProblem p;
    final Graph g;
    final DType acc;
    final long c;
    final long nq;
    final long nk;
    /** Key-only mask and bias as [b, hkv|1, nk|1, g|1, 1, c|1] (bias in acc), segment ids as [B, 1, nq, 1, c, 1] / [B, 1, nk, 1, 1, c]; or null. */
    final Tensor keyMask;
    final Tensor keyBias;
    final Tensor qSeg;
    final Tensor kSeg;
    final List<Step> steps = new ArrayList<>();

    Layout(AttentionProblem p, long c) {
      this.p = p;
      this.g = p.q().graph();
      this.acc = Core.acc(p);
      this.c = c;
      this.nq = (p.qLength() + c - 1) / c;
      this.nk = (p.keyLength() + c - 1) / c;
      boolean keyPad = nk * c > p.keyLength();
      this.keyMask = keyVector(p.mask());
      this.keyBias = p.bias() == null ? null : keyVector(p.bias().astype(acc));
      this.qSeg = p.qSegmentIds() == null ? null
          : Core.padTo(p.qSegmentIds(), 1, nq * c, -1).reshape(p.batch(), 1, nq, 1, c, 1);
      this.kSeg = p.kvSegmentIds() == null ? null
          : Core.padTo(p.kvSegmentIds(), 1, nk * c, -2).reshape(p.batch(), 1, nk, 1, 1, c);
      if (p.options().causal()) {
        // offset d pairs query block i with key block i - d (top-left aligned: key block j is visible to
        // query block i only when j <= i); blocks past either sequence's end drop out
        for (long d = 0; d < nq; d++) {
          long m = Math.min(nq - d, nk);
          if (m <= 0) break;
          steps.add(new Step(d, 0, m, true, d == 0, keyPad && m == nk));
        }
      } else {
        for (long j = 0; j < nk; j++) steps.add(new Step(0, j, nq, false, false, keyPad && j == nk - 1));
      }
    }

    /** A key-only [b, h, g, 1, sk|1] mask or bias as [b, h, nk|1, g, 1, c|1] (padded keys: zero, hidden anyway). */
    private Tensor keyVector(Tensor t) {
      if (t == null) return null;
      if (t.dim(4) == 1) return t.reshape(t.dim(0), t.dim(1), 1, t.dim(2), 1, 1);
      return Core.padTo(t, 4, nk * c, 0).reshape(t.dim(0), t.dim(1), t.dim(2), 1, nk, c).transpose(0, 1, 4, 2, 3, 5);
    }

    /** A step's query-side slice of a per-row vector [.., nq|1, ..] (axis 2), kept when broadcast. */
    private Tensor rowVector(Step s, Tensor x) {
      return x.dim(2) == 1 ? x : rows(s, x);
    }

    /** A step's key-side slice of a per-key vector [.., nk|1, ..] (axis 2, kept size 1 when not paired). */
    private Tensor colVector(Step s, Tensor x) {
      if (x.dim(2) == 1) return x;
      if (!s.paired()) return x.slice(2, s.k0(), s.k0() + 1);
      return s.k0() == 0 && s.m() == nk ? x : x.slice(2, s.k0(), s.k0() + s.m());
    }

    long b() { return p.batch(); }

    long hkv() { return p.kvHeads(); }

    long grp() { return p.groups(); }

    /** BTNH [B, Sq, H, X] padded to nq·c rows as [B, Hkv, nq, G, c, X]. */
    Tensor queryBlocks(Tensor x) {
      long xd = x.dim(3);
      return Core.padTo(x, 1, nq * c, 0).reshape(b(), nq, c, hkv(), grp(), xd).transpose(0, 3, 1, 4, 2, 5);
    }

    /** [B, Hkv, nq, G, c, X] back to BTNH [B, Sq, H, X]. */
    Tensor queryRows(Tensor x) {
      long xd = x.dim(5);
      Tensor t = x.transpose(0, 2, 4, 1, 3, 5).reshape(b(), nq * c, p.heads(), xd);
      return nq * c > p.qLength() ? t.slice(1, 0, p.qLength()) : t;
    }

    /** BTNH [B, Sk, Hkv, X] padded to nk·c rows as [B, Hkv, nk, c, X]. */
    Tensor keyBlocks(Tensor x) {
      long xd = x.dim(3);
      return Core.padTo(x, 1, nk * c, 0).reshape(b(), nk, c, hkv(), xd).transpose(0, 3, 1, 2, 4);
    }

    /** [B, Hkv, nk, c, X] back to BTNH [B, Sk, Hkv, X]. */
    Tensor keyRows(Tensor x) {
      long xd = x.dim(4);
      Tensor t = x.transpose(0, 2, 3, 1, 4).reshape(b(), nk * c, hkv(), xd);
      return nk * c > p.keyLength() ? t.slice(1, 0, p.keyLength()) : t;
    }

    /** A step's query-side slice of [B, Hkv, nq, G, c, X]. */
    Tensor rows(Step s, Tensor x) {
      return s.q0() == 0 && s.m() == nq ? x : x.slice(2, s.q0(), s.q0() + s.m());
    }

    /** A step's key-side slice of [B, Hkv, nk, c, X]: [B, Hkv, m, c, X] paired, [B, Hkv, c, X] not. */
    Tensor cols(Step s, Tensor x) {
      if (!s.paired()) return x.slice(2, s.k0(), s.k0() + 1).squeeze(2);
      return s.k0() == 0 && s.m() == nk ? x : x.slice(2, s.k0(), s.k0() + s.m());
    }

    /** {@code state} with the step's query-side slots replaced by {@code update}. */
    Tensor putRows(Step s, Tensor state, Tensor update) {
      if (s.q0() == 0 && s.m() == nq) return update;
      return state.dynamicUpdateSlice(update, starts(state.rank(), s.q0()));
    }

    private List<Tensor> starts(int rank, long at) {
      List<Tensor> st = new ArrayList<>();
      for (int i = 0; i < rank; i++) st.add(g.scalar(i == 2 ? at : 0L, DType.I32));
      return st;
    }

    /** Query-side [B, Hkv, m, G, c, X] · key-side (contracting X) -> [B, Hkv, m, G, c, c]. */
    Tensor rowsDotCols(Step s, Tensor a, Tensor kb, DType preferred) {
      DotDims d = s.paired() ? new DotDims(List.of(0, 1, 2), List.of(0, 1, 2), List.of(5), List.of(4))
          : new DotDims(List.of(0, 1), List.of(0, 1), List.of(5), List.of(3));
      return a.dotGeneral(kb, d, p.options().precision(), preferred);
    }

    /** Weights [B, Hkv, m, G, c, c] · key-side [.., c, X] (contracting keys) -> [B, Hkv, m, G, c, X] in acc. */
    Tensor weightsDotCols(Step s, Tensor w, Tensor kb) {
      DotDims d = s.paired() ? new DotDims(List.of(0, 1, 2), List.of(0, 1, 2), List.of(5), List.of(3))
          : new DotDims(List.of(0, 1), List.of(0, 1), List.of(5), List.of(2));
      return w.astype(kb.dtype()).dotGeneral(kb, d, p.options().precision(), acc).astype(acc);
    }

    /**
     * Weightsᵀ [B, Hkv, m, G, c, c] · query-side [B, Hkv, m, G, c, X] (contracting groups and query rows)
     * -> key-side [B, Hkv, m, c, X] paired, [B, Hkv, c, X] not, in acc: GQA's sum over the group is in the dot.
     */
    Tensor weightsTDotRows(Step s, Tensor w, Tensor a) {
      DotDims d = s.paired() ? new DotDims(List.of(0, 1, 2), List.of(0, 1, 2), List.of(3, 4), List.of(3, 4))
          : new DotDims(List.of(0, 1), List.of(0, 1), List.of(2, 3, 4), List.of(2, 3, 4));
      return w.astype(a.dtype()).dotGeneral(a, d, p.options().precision(), acc).astype(acc);
    }

    /** Scaled logits of a step before soft-capping, in acc (q·k rounded as {@link Core#logits} rounds it). */
    Tensor rawLogits(Step s, Tensor qs, Tensor ks) {
      Tensor t = rowsDotCols(s, qs, ks, p.options().float32Logits() ? acc : null).astype(acc);
      return p.scale() == 1.0 ? t : t.mul(p.scale());
    }

    /**
     * A step's soft-capped logits with the bias added and hidden entries at {@link Core#NEG}: the diagonal
     * blocks' upper triangle, padded keys, the key mask, other segments.
     */
    Tensor mask(Step s, Tensor logits) {
      if (keyBias != null) {
        // -inf in a user bias would make exp(m_old - m_new) NaN in the online softmax
        logits = logits.add(colVector(s, keyBias)).maximum(Core.NEG);
      }
      Tensor visible = keyMask == null ? null : colVector(s, keyMask);
      if (qSeg != null) {
        Tensor same = rowVector(s, qSeg).eq(colVector(s, kSeg));
        visible = visible == null ? same : visible.and(same);
      }
      if (s.diagonal()) {
        Tensor r = g.iota(TensorType.of(DType.I32, 1, 1, 1, 1, c, 1), 4);
        Tensor col = g.iota(TensorType.of(DType.I32, 1, 1, 1, 1, 1, c), 5);
        visible = visible == null ? col.le(r) : visible.and(col.le(r));
      }
      if (s.padded()) {
        Tensor kpos = g.iota(TensorType.of(DType.I32, 1, 1, 1, 1, 1, c), 5).add(s.k0() * c);
        if (s.paired()) kpos = kpos.add(g.iota(TensorType.of(DType.I32, 1, 1, s.m(), 1, 1, 1), 2).mul(c));
        Tensor inside = kpos.lt(p.keyLength());
        visible = visible == null ? inside : visible.and(inside);
      }
      return visible == null ? logits : Jnp.where(visible, logits, Core.NEG);
    }
  }

  // ------------------------------------------------------------------------------------------ forward

  /** Online softmax over the steps: {out [B, Sq, H, Dv] in q's dtype, lse [B, Hkv, nq, G, c, 1] in acc}. */
  static Tensor[] forward(Layout l) {
    AttentionProblem p = l.p;
    double cap = p.options().logitSoftCap();
    Tensor qB = l.queryBlocks(p.q());
    Tensor kB = l.keyBlocks(p.k());
    Tensor vB = l.keyBlocks(p.v());
    Tensor m = null;
    Tensor sum = null;
    Tensor acc = null;
    for (Step s : l.steps) {
      Tensor logits = l.rawLogits(s, l.rows(s, qB), l.cols(s, kB));
      if (cap > 0) logits = logits.div(cap).tanh().mul(cap);
      logits = l.mask(s, logits);
      Tensor rowMax = logits.max(-1, true);
      if (m == null && s.q0() == 0 && s.m() == l.nq) {
        // the first step covers every query row: it starts the running statistics
        Tensor e = logits.sub(Core.safeMax(rowMax)).exp();
        m = rowMax;
        sum = e.sum(-1, true);
        acc = l.weightsDotCols(s, e, l.cols(s, vB));
        continue;
      }
      if (m == null) {
        m = l.g.full(l.acc, Core.NEG, l.b(), l.hkv(), l.nq, l.grp(), l.c, 1);
        sum = l.g.zeros(l.acc, l.b(), l.hkv(), l.nq, l.grp(), l.c, 1);
        acc = l.g.zeros(l.acc, l.b(), l.hkv(), l.nq, l.grp(), l.c, p.valueDim());
      }
      Tensor mOld = l.rows(s, m);
      Tensor mNew = mOld.maximum(rowMax);
      Tensor e = logits.sub(Core.safeMax(mNew)).exp();
      Tensor corr = mOld.sub(mNew).exp();
      Tensor sumNew = l.rows(s, sum).mul(corr).add(e.sum(-1, true));
      Tensor accNew = l.rows(s, acc).mul(corr).add(l.weightsDotCols(s, e, l.cols(s, vB)));
      m = l.putRows(s, m, mNew);
      sum = l.putRows(s, sum, sumNew);
      acc = l.putRows(s, acc, accNew);
    }
    Tensor o = acc.div(sum.maximum(Core.TINY));
    if (p.options().attnOutputMultiplier() != 1.0) o = o.mul(p.options().attnOutputMultiplier());
    // a row with no visible key has sum 0 and output 0; lse 1e30 makes its recomputed P exactly 0
    Tensor lse = Jnp.where(sum.gt(0.0), Core.safeMax(m).add(sum.maximum(Core.TINY).log()), -Core.NEG);
    return new Tensor[] {l.queryRows(o.astype(p.q().dtype())), lse};
  }

  // ----------------------------------------------------------------------------------------- backward

  /** dq, dk, dv (BTNH, the inputs' types) from the residuals {q, k, v, out, lse} and d(out). */
  static Tree<Tensor> backward(Layout l, Tree<Tensor> res, Tensor dOut) {
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
    for (Step s : l.steps) {
      Tensor qs = l.rows(s, qB);
      Tensor ks = l.cols(s, kB);
      Tensor vs = l.cols(s, vB);
      Tensor dOs = l.rows(s, dOB);
      Tensor raw = l.rawLogits(s, qs, ks);
      Tensor t = cap > 0 ? raw.div(cap).tanh() : null;
      Tensor logits = l.mask(s, t != null ? t.mul(cap) : raw);
      Tensor pr = logits.sub(l.rows(s, lse)).exp();
      Tensor dpv = l.rowsDotCols(s, dOs, vs, l.acc).astype(l.acc);
      Tensor ds = pr.mul(dpv.sub(l.rows(s, delta)));
      // d(cap·tanh(x/cap))/dx = 1 - tanh², and the scale of raw = scale·q·k
      if (t != null) ds = ds.mul(t.square().rsub(1.0));
      if (p.scale() != 1.0) ds = ds.mul(p.scale());
      Tensor dvStep = l.weightsTDotRows(s, pr, dOs);
      Tensor dkStep = l.weightsTDotRows(s, ds.astype(dt), qs);
      Tensor dqStep = l.weightsDotCols(s, ds, ks);
      dq = accumulateRows(l, s, dq, dqStep, p.headDim());
      if (!s.paired()) {
        // each key block has exactly one step: its gradient is complete
        dkCols.add(dkStep.expandDims(2));
        dvCols.add(dvStep.expandDims(2));
        continue;
      }
      dk = accumulateCols(l, s, dk, dkStep, p.headDim());
      dv = accumulateCols(l, s, dv, dvStep, p.valueDim());
    }
    if (!dkCols.isEmpty()) {
      dk = dkCols.size() == 1 ? dkCols.get(0) : Jnp.concat(2, dkCols.toArray(Tensor[]::new));
      dv = dvCols.size() == 1 ? dvCols.get(0) : Jnp.concat(2, dvCols.toArray(Tensor[]::new));
    }
    if (dk == null) {
      // no pair visible at all (a causal call with no key blocks cannot occur; kept total for safety)
      dk = l.g.zeros(l.acc, l.b(), l.hkv(), l.nk, l.c, p.headDim());
      dv = l.g.zeros(l.acc, l.b(), l.hkv(), l.nk, l.c, p.valueDim());
    }
    if (dq == null) dq = l.g.zeros(l.acc, l.b(), l.hkv(), l.nq, l.grp(), l.c, p.headDim());
    return Tree.of(Map.of("q", l.queryRows(dq).astype(dt), "k", l.keyRows(dk).astype(p.k().dtype()),
        "v", l.keyRows(dv).astype(p.v().dtype())));
  }

  /** Adds a step's query-side gradient [B, Hkv, m, G, c, X] into slots [q0, q0+m) of the running sum. */
  private static Tensor accumulateRows(Layout l, Step s, Tensor state, Tensor step, long x) {
    boolean all = s.q0() == 0 && s.m() == l.nq;
    if (state == null && all) return step;
    if (state == null) state = l.g.zeros(l.acc, l.b(), l.hkv(), l.nq, l.grp(), l.c, x);
    return l.putRows(s, state, l.rows(s, state).add(step));
  }

  /** Adds a paired step's key-side gradients [B, Hkv, m, c, X] into slots [k0, k0+m) of the running sum. */
  private static Tensor accumulateCols(Layout l, Step s, Tensor state, Tensor step, long x) {
    if (state == null && s.k0() == 0 && s.m() == l.nk) return step;
    if (state == null) state = l.g.zeros(l.acc, l.b(), l.hkv(), l.nk, l.c, x);
    Tensor old = s.k0() == 0 && s.m() == l.nk ? state : state.slice(2, s.k0(), s.k0() + s.m());
    Tensor sum = old.add(step);
    if (s.k0() == 0 && s.m() == l.nk) return sum;
    List<Tensor> st = new ArrayList<>();
    for (int i = 0; i < state.rank(); i++) st.add(l.g.scalar(i == 2 ? s.k0() : 0L, DType.I32));
    return state.dynamicUpdateSlice(sum, st);
  }
}
