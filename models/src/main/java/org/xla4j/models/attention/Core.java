package org.xla4j.models.attention;

import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Rng;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.DotDims;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The pieces every composed mechanism shares, on one block of queries and keys. Blocks are rank 5,
 * {@code [B, Hkv, G, rows, cols]}: GQA groups sit next to their kv head, so K/V are never repeated.
 */
final class Core {
  /** Logit of a masked entry: finite, so max/exp never see inf - inf. */
  static final double NEG = -1e30;
  /** Denominator floor: a row with no visible key has sum 0 and gets output 0. */
  static final double TINY = 1e-30;

  private Core() {}

  /** The dtype logits, softmax and accumulators use: f64 for f64 inputs (so gradients check in f64), else f32. */
  static DType acc(AttentionProblem p) {
    return p.q().dtype() == DType.F64 ? DType.F64 : DType.F32;
  }

  /** q [B, S, H, D] as [B, Hkv, G, S, D]. */
  static Tensor groupQueries(AttentionProblem p, Tensor q) {
    return q.reshape(q.dim(0), q.dim(1), p.kvHeads(), p.groups(), q.dim(3)).transpose(0, 2, 3, 1, 4);
  }

  /** [B, Hkv, G, S, Dv] back to [B, S, H, Dv]. */
  static Tensor ungroup(AttentionProblem p, Tensor o) {
    return o.transpose(0, 3, 1, 2, 4).reshape(o.dim(0), o.dim(3), p.heads(), o.dim(4));
  }

  /** Scaled, soft-capped logits in {@link #acc} (f32 unless f64): qb [B, Hkv, G, r, D] · kb [B, c, Hkv, D] -> [B, Hkv, G, r, c]. */
  static Tensor logits(AttentionProblem p, Tensor qb, Tensor kb) {
    AttentionOptions o = p.options();
    DType pref = o.float32Logits() ? acc(p) : null;
    Tensor s = qb.dotGeneral(kb, new DotDims(List.of(0, 1), List.of(0, 2), List.of(4), List.of(3)), o.precision(), pref)
        .astype(acc(p));
    if (p.scale() != 1.0) s = s.mul(p.scale());
    if (o.logitSoftCap() > 0) s = s.div(o.logitSoftCap()).tanh().mul(o.logitSoftCap());
    return s;
  }

  /** weights [B, Hkv, G, r, c] (v's dtype) · vb [B, c, Hkv, Dv] -> [B, Hkv, G, r, Dv] in {@link #acc}. */
  static Tensor weighted(AttentionProblem p, Tensor w, Tensor vb) {
    return w.astype(vb.dtype()).dotGeneral(vb, new DotDims(List.of(0, 1), List.of(0, 2), List.of(4), List.of(1)),
        p.options().precision(), acc(p)).astype(acc(p));
  }

  /**
   * Bias and masks on a block of logits {@code s [B, Hkv, G, r, c]} whose rows start at query position
   * {@code q0} and columns at key position {@code k0} (i32 scalars, q0 and keyLimit also [B, 1, 1, 1, 1]). {@code bias}, {@code mask} and the
   * segment ids must already be the block's slices (or broadcastable size 1). {@code keyLimit}: keys at
   * positions >= it are hidden (padding of BLOCKWISE, unwritten cache of DECODE), or null.
   * Returns the logits with hidden entries at {@link #NEG}.
   */
  static Tensor maskBlock(AttentionProblem p, Tensor s, Tensor q0, Tensor k0, Tensor bias, Tensor mask,
      Tensor qSeg, Tensor kSeg, Tensor keyLimit) {
    Graph g = s.graph();
    long r = s.dim(3);
    long c = s.dim(4);
    if (bias != null) s = s.add(bias.astype(s.dtype()));
    // -inf in a user bias would make exp(m_old - m_new) NaN in the online softmax
    if (bias != null) s = s.maximum(NEG);
    Tensor visible = mask;
    Tensor kpos = null;
    if (p.options().causal() || keyLimit != null) {
      kpos = g.iota(TensorType.of(DType.I32, 1, 1, 1, 1, c), 4);
      if (k0 != null) kpos = kpos.add(k0);
    }
    if (p.options().causal()) {
      Tensor qpos = g.iota(TensorType.of(DType.I32, 1, 1, 1, r, 1), 3);
      if (q0 != null) qpos = qpos.add(q0);
      visible = and(visible, kpos.le(qpos));
    }
    if (keyLimit != null) visible = and(visible, kpos.lt(keyLimit));
    if (qSeg != null) {
      Tensor a = qSeg.reshape(qSeg.dim(0), 1, 1, r, 1);
      Tensor b = kSeg.reshape(kSeg.dim(0), 1, 1, 1, c);
      visible = and(visible, a.eq(b));
    }
    return visible == null ? s : Jnp.where(visible, s, NEG);
  }

  private static Tensor and(Tensor a, Tensor b) { return a == null ? b : a.and(b); }

  /** The row maximum with fully hidden rows mapped to 0, so exp(NEG - it) is exactly 0. */
  static Tensor safeMax(Tensor m) {
    return Jnp.where(m.gt(NEG / 2), m, 0.0);
  }

  /** Keeps each weight with probability 1 - rate and scales survivors by 1/(1 - rate). */
  static Tensor dropout(Tensor w, double rate, Tensor key) {
    Tensor u = Rng.uniform(key, DType.F32, w.shape().dims()).value();
    return Jnp.where(u.ge(rate), w.mul(1.0 / (1.0 - rate)), 0.0);
  }

  /** {@code x} cut to [lo, lo+size) along {@code axis} unless that axis has size 1 (broadcast). */
  static Tensor sliceIfFull(Tensor x, int axis, Tensor start, long size) {
    if (x == null || x.dim(axis) == 1) return x;
    return x.dynamicSlice(axis, start, size);
  }

  /** Pads {@code axis} to {@code len} with {@code value} (no-op when already that long or broadcast). */
  static Tensor padTo(Tensor x, int axis, long len, double value) {
    if (x == null || x.dim(axis) == 1 || x.dim(axis) == len) return x;
    long[] lo = new long[x.rank()];
    long[] hi = new long[x.rank()];
    hi[axis] = len - x.dim(axis);
    return x.pad(lo, hi, value);
  }
}
