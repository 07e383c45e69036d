package org.xla4j.models.attention;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BinaryOperator;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.DotDims;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * How {@link BlockwiseVjp} cuts one attention problem into blocks and steps: q, k and v in blocks of c
 * rows, laid out {@code [B, Hkv, n, G, c, X]} (queries) and {@code [B, Hkv, n, c, X]} (keys), the list of
 * steps, and per step the slicing, the three batched products, the masks and the accumulation back into
 * per-block state.
 *
 * <p><b>The causal schedule.</b> Query block i sees key block j only when j <= i. Offset d pairs query
 * blocks d, d+1, .. with key blocks 0, 1, ..: a run of {@code min(nq - d, nk)} pairs on static slices. Step 0
 * is the diagonal run (the only one that needs the in-block mask); after it, runs are combined two by two
 * (offset d with offset n - d when both fit in one step of n pairs), so every step is one batched product
 * of about n block pairs: n/2 + 1 steps of one shape, not n steps of n shapes (XLA compiles and tunes each
 * distinct product once, and small late steps would leave the GPU idle). When n pairs' scores exceed the step
 * budget ({@link #maxPairs}), runs are cut into pieces of at most that many pairs (the diagonal too) and the
 * shorter pieces paired up, so each step's scores stay within the budget (XLA may still run steps side by side). Without causal, step j pairs every
 * query block with key block j.
 */
final class BlockwiseBlocks {
  /**
   * A run of pairs: query blocks [q0, q0+m) with key blocks [k0, k0+m) pairwise, or (a step that is not
   * {@link Step#paired}) with the single key block k0.
   */
  record Run(long q0, long k0, long m) {}

  /**
   * One batched product over its runs, concatenated along the block axis. {@code diagonal}: the pairs are
   * (i, i), so the in-block causal mask applies; {@code padded}: some key block is the last one, whose tail
   * is padding.
   */
  record Step(List<Run> runs, boolean paired, boolean diagonal, boolean padded) {
    long m() { return runs.stream().mapToLong(Run::m).sum(); }
  }

  final AttentionProblem p;
  final Graph g;
  final DType acc;
  final long c;
  final long nq;
  final long nk;
  /** The most block pairs of one causal step ({@link #maxPairs}). */
  final long maxPairs;
  final List<Step> steps = new ArrayList<>();
  /** Key-only mask and bias as [b, hkv|1, nk|1, g|1, 1, c|1] (bias in acc), segment ids as [B, 1, nq, 1, c, 1] / [B, 1, nk, 1, 1, c]; or null. */
  private final Tensor keyMask;
  private final Tensor keyBias;
  private final Tensor qSeg;
  private final Tensor kSeg;

  BlockwiseBlocks(AttentionProblem p, long c) {
    this.p = p;
    this.g = p.q().graph();
    this.acc = Core.acc(p);
    this.c = c;
    this.nq = (p.qLength() + c - 1) / c;
    this.nk = (p.keyLength() + c - 1) / c;
    this.maxPairs = maxPairs(p, c, acc);
    this.keyMask = keyVector(p.mask());
    this.keyBias = p.bias() == null ? null : keyVector(p.bias().astype(acc));
    this.qSeg = p.qSegmentIds() == null ? null
        : Core.padTo(p.qSegmentIds(), 1, nq * c, -1).reshape(p.batch(), 1, nq, 1, c, 1);
    this.kSeg = p.kvSegmentIds() == null ? null
        : Core.padTo(p.kvSegmentIds(), 1, nk * c, -2).reshape(p.batch(), 1, nk, 1, 1, c);
    if (p.options().causal()) {
      causalSchedule();
    } else {
      for (long j = 0; j < nk; j++) steps.add(step(List.of(new Run(0, j, nq)), false, false));
    }
  }

  private void causalSchedule() {
    List<Run> offsets = new ArrayList<>();
    for (long d = 0; d < nq; d++) {
      long m = Math.min(nq - d, nk);
      if (m <= 0) break;
      offsets.add(new Run(d, 0, m));
    }
    long width = Math.min(offsets.get(0).m(), maxPairs);
    for (Run piece : split(offsets.get(0), width)) steps.add(step(List.of(piece), true, true));
    // steps of at most `width` pairs: full pieces alone, the rest (longest first) paired two by two; with the whole
    // diagonal's width that pairs offsets d and n - d into steps of n pairs
    List<Run> rest = new ArrayList<>();
    for (Run r : offsets.subList(1, offsets.size())) {
      for (Run piece : split(r, width)) {
        if (piece.m() == width) steps.add(step(List.of(piece), true, false));
        else rest.add(piece);
      }
    }
    rest.sort((a, b) -> Long.compare(b.m(), a.m()));
    int lo = 0;
    int hi = rest.size() - 1;
    while (lo <= hi) {
      if (lo < hi && rest.get(lo).m() + rest.get(hi).m() <= width) {
        steps.add(step(List.of(rest.get(lo), rest.get(hi)), true, false));
        hi--;
      } else {
        steps.add(step(List.of(rest.get(lo)), true, false));
      }
      lo++;
    }
  }

  /** A run cut into consecutive runs of at most {@code width} pairs. */
  private static List<Run> split(Run r, long width) {
    List<Run> out = new ArrayList<>();
    for (long at = 0; at < r.m(); at += width) {
      out.add(new Run(r.q0() + at, r.k0() + at, Math.min(width, r.m() - at)));
    }
    return out;
  }

  /**
   * The most block pairs one causal step takes: {@link AttentionOptions#blockwiseStepBytes} over one pair's scores,
   * B·H·c·c accumulator values, at least 1; 0 (automatic) bounds nothing: steps of a whole diagonal's width. Smaller
   * steps do not lower XLA's peak on the GPU, whose scheduler overlaps independent steps: bf16 causal B1 H8 D128
   * fwd+bwd, block 1024, H200 (scripts/device-round8.sh A, 2026-12-02; bench/results/round8-h200-2026-12-02.md):
   * S8192 whole diagonals (8 pairs, 268 MB per score tensor) 3.73 ms / 1.36 GB of temporaries (round 7), 128 MiB
   * steps 3.64 ms / 2.20 GB, 64 MiB 4.25 ms / 2.75 GB; S16384 whole diagonals 12.84 ms / 4.37 GB, 128 MiB 14.92 ms
   * / 3.80 GB, 64 MiB 17.30 ms / 4.48 GB. Bounding the steps pays only where the scheduler runs them in order (the
   * CPU) or with ordering the program does not yet impose.
   */
  static long maxPairs(AttentionProblem p, long c, DType acc) {
    long budget = p.options().blockwiseStepBytes();
    if (budget == 0) return Long.MAX_VALUE;
    double pair = (double) p.batch() * p.heads() * c * c * acc.byteSize();
    return Math.max(1, (long) (budget / pair));
  }

  private Step step(List<Run> runs, boolean paired, boolean diagonal) {
    boolean padded = false;
    if (nk * c > p.keyLength()) {
      for (Run r : runs) padded |= paired ? r.k0() + r.m() == nk : r.k0() == nk - 1;
    }
    return new Step(runs, paired, diagonal, padded);
  }

  long b() { return p.batch(); }

  long hkv() { return p.kvHeads(); }

  long grp() { return p.groups(); }

  // ---- layouts

  /** BTNH [B, Sq, H, X] padded to nq·c rows as [B, Hkv, nq, G, c, X]. */
  Tensor queryBlocks(Tensor x) {
    return Core.padTo(x, 1, nq * c, 0).reshape(b(), nq, c, hkv(), grp(), x.dim(3)).transpose(0, 3, 1, 4, 2, 5);
  }

  /** [B, Hkv, nq, G, c, X] back to BTNH [B, Sq, H, X]. */
  Tensor queryRows(Tensor x) {
    Tensor t = x.transpose(0, 2, 4, 1, 3, 5).reshape(b(), nq * c, p.heads(), x.dim(5));
    return nq * c > p.qLength() ? t.slice(1, 0, p.qLength()) : t;
  }

  /** BTNH [B, Sk, Hkv, X] padded to nk·c rows as [B, Hkv, nk, c, X]. */
  Tensor keyBlocks(Tensor x) {
    return Core.padTo(x, 1, nk * c, 0).reshape(b(), nk, c, hkv(), x.dim(3)).transpose(0, 3, 1, 2, 4);
  }

  /** [B, Hkv, nk, c, X] back to BTNH [B, Sk, Hkv, X]. */
  Tensor keyRows(Tensor x) {
    Tensor t = x.transpose(0, 2, 3, 1, 4).reshape(b(), nk * c, hkv(), x.dim(4));
    return nk * c > p.keyLength() ? t.slice(1, 0, p.keyLength()) : t;
  }

  /** A key-only [b, h, g, 1, sk|1] mask or bias as [b, h, nk|1, g, 1, c|1] (padded keys: zero, hidden anyway). */
  private Tensor keyVector(Tensor t) {
    if (t == null) return null;
    if (t.dim(4) == 1) return t.reshape(t.dim(0), t.dim(1), 1, t.dim(2), 1, 1);
    return Core.padTo(t, 4, nk * c, 0).reshape(t.dim(0), t.dim(1), t.dim(2), 1, nk, c).transpose(0, 1, 4, 2, 3, 5);
  }

  // ---- slicing (axis 2 is the block axis of every blocked tensor)

  private static Tensor cut(Tensor x, long from, long m, long n) {
    return from == 0 && m == n ? x : x.slice(2, from, from + m);
  }

  private static Tensor join(List<Tensor> parts) {
    return parts.size() == 1 ? parts.get(0) : Jnp.concat(2, parts);
  }

  /** A step's query side of [.., nq, ..]: its runs' blocks, concatenated. Size-1 (broadcast) axes stay. */
  Tensor rows(Step s, Tensor x) {
    if (x.dim(2) == 1) return x;
    List<Tensor> parts = new ArrayList<>();
    for (Run r : s.runs()) parts.add(cut(x, r.q0(), r.m(), nq));
    return join(parts);
  }

  /**
   * A step's key side of [.., nk, ..]: its runs' key blocks, concatenated; a step that is not paired takes
   * its one key block, without the block axis for k and v ({@code squeeze}) and with it, size 1, for the
   * per-key vectors.
   */
  Tensor cols(Step s, Tensor x, boolean squeeze) {
    if (x.dim(2) == 1) return x;
    if (!s.paired()) {
      Tensor one = x.slice(2, s.runs().get(0).k0(), s.runs().get(0).k0() + 1);
      return squeeze ? one.squeeze(2) : one;
    }
    List<Tensor> parts = new ArrayList<>();
    for (Run r : s.runs()) parts.add(cut(x, r.k0(), r.m(), nk));
    return join(parts);
  }

  /**
   * {@code step} [.., m, ..] (the step's query side) added into the query blocks of {@code state} [.., nq, ..];
   * a null state counts as zeros.
   */
  Tensor addRows(Step s, Tensor state, Tensor step) {
    return combine(s, state, step, true, Tensor::add);
  }

  /** {@code state} [.., nq, ..] with the step's query blocks raised to at least {@code step} [.., m, ..] (run by run). */
  Tensor maxRows(Step s, Tensor state, Tensor step) {
    return combine(s, state, step, true, Tensor::maximum);
  }

  /** A paired step's key side {@code step} [.., m, ..] added into the key blocks of {@code state} [.., nk, ..] (null: zeros). */
  Tensor addCols(Step s, Tensor state, Tensor step) {
    return combine(s, state, step, false, Tensor::add);
  }

  private Tensor combine(Step s, Tensor state, Tensor step, boolean queries, BinaryOperator<Tensor> op) {
    long n = queries ? nq : nk;
    long at = 0;
    for (Run r : s.runs()) {
      long from = queries ? r.q0() : r.k0();
      Tensor part = s.runs().size() == 1 ? step : step.slice(2, at, at + r.m());
      at += r.m();
      if (state == null && from == 0 && r.m() == n) {
        state = part;
        continue;
      }
      if (state == null) {
        long[] dims = part.shape().dims();
        dims[2] = n;
        state = g.zeros(part.dtype(), dims);
      }
      Tensor sum = op.apply(cut(state, from, r.m(), n), part);
      state = from == 0 && r.m() == n ? sum : put(state, from, sum);
    }
    return state;
  }

  /** The block range [lo, hi) of the query blocks a step touches. */
  long[] rowSpan(Step s) {
    long lo = nq;
    long hi = 0;
    for (Run r : s.runs()) {
      lo = Math.min(lo, r.q0());
      hi = Math.max(hi, r.q0() + r.m());
    }
    return new long[] {lo, hi};
  }

  /** Query blocks [lo, hi) of {@code x} [.., nq, ..]. */
  Tensor span(Tensor x, long[] span) {
    return cut(x, span[0], span[1] - span[0], nq);
  }

  /** {@code state} [.., nq, ..] with query blocks [lo, hi) replaced by {@code part}. */
  Tensor putSpan(Tensor state, long[] span, Tensor part) {
    return span[0] == 0 && span[1] == nq ? part : put(state, span[0], part);
  }

  /** {@code state} with {@code update} written at block {@code at} (static offsets, in place where XLA can). */
  private Tensor put(Tensor state, long at, Tensor update) {
    List<Tensor> st = new ArrayList<>();
    for (int i = 0; i < state.rank(); i++) st.add(g.scalar(i == 2 ? at : 0L, DType.I32));
    return state.dynamicUpdateSlice(update, st);
  }

  // ---- products

  /** Query side [B, Hkv, m, G, c, X] · key side (contracting X) -> [B, Hkv, m, G, c, c]. */
  Tensor rowsDotCols(Step s, Tensor a, Tensor kb, DType preferred) {
    DotDims d = s.paired() ? new DotDims(List.of(0, 1, 2), List.of(0, 1, 2), List.of(5), List.of(4))
        : new DotDims(List.of(0, 1), List.of(0, 1), List.of(5), List.of(3));
    return a.dotGeneral(kb, d, p.options().precision(), preferred);
  }

  /** Weights [B, Hkv, m, G, c, c] · key side [.., c, X] (contracting keys) -> [B, Hkv, m, G, c, X] in acc. */
  Tensor weightsDotCols(Step s, Tensor w, Tensor kb) {
    DotDims d = s.paired() ? new DotDims(List.of(0, 1, 2), List.of(0, 1, 2), List.of(5), List.of(3))
        : new DotDims(List.of(0, 1), List.of(0, 1), List.of(5), List.of(2));
    return w.astype(kb.dtype()).dotGeneral(kb, d, p.options().precision(), acc).astype(acc);
  }

  /**
   * Weightsᵀ [B, Hkv, m, G, c, c] · query side [B, Hkv, m, G, c, X] (contracting groups and query rows)
   * -> key side [B, Hkv, m, c, X] paired, [B, Hkv, c, X] not, in acc: GQA's sum over the group is in the dot.
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
      logits = logits.add(cols(s, keyBias, false)).maximum(Core.NEG);
    }
    Tensor visible = keyMask == null ? null : cols(s, keyMask, false);
    if (qSeg != null) visible = and(visible, rows(s, qSeg).eq(cols(s, kSeg, false)));
    if (s.diagonal()) {
      Tensor r = g.iota(TensorType.of(DType.I32, 1, 1, 1, 1, c, 1), 4);
      Tensor col = g.iota(TensorType.of(DType.I32, 1, 1, 1, 1, 1, c), 5);
      visible = and(visible, col.le(r));
    }
    if (s.padded()) {
      // each block's first key position, then the column within the block
      List<Long> first = new ArrayList<>();
      for (Run r : s.runs()) for (long i = 0; i < (s.paired() ? r.m() : 1); i++) first.add((r.k0() + i) * c);
      int[] starts = first.stream().mapToInt(Long::intValue).toArray();
      Tensor kpos = g.constant(starts, 1, 1, starts.length, 1, 1, 1)
          .add(g.iota(TensorType.of(DType.I32, 1, 1, 1, 1, 1, c), 5));
      visible = and(visible, kpos.lt(p.keyLength()));
    }
    return visible == null ? logits : Jnp.where(visible, logits, Core.NEG);
  }

  private static Tensor and(Tensor a, Tensor b) { return a == null ? b : a.and(b); }
}
