package org.xla4j.autodiff;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.LoopTracing;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.Op;
import org.xla4j.ir.Precision;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The VJP of {@code chlo.ragged_dot} in the ragged-rows mode the IR has ({@code lhs [m, k]} rows grouped by
 * {@code groupSizes [g]}, {@code rhs [g, k, n]}, {@code out [m, n]}). The group sizes get no cotangent.
 *
 * <ul>
 *   <li>{@code d lhs = ragged_dot(ct, rhsᵀ)} with the same group sizes: row r of group i is {@code ct[r] ·
 *       rhs[i]ᵀ}; rows past the last group stay 0, as their outputs were.
 *   <li>{@code d rhs[i] = lhs_iᵀ · ct_i} over the rows of group i: the ragged-contracting form. TensorFlow 2.18's XLA
 *       CPU takes no {@code chlo.ragged_dot} at all (RaggedDotCpuTest), and the IR has only the ragged-rows mode,
 *       so this is portable ops: rows of both operands are copied group after group into buffers where each
 *       group starts on a whole tile of {@code t} rows, and a loop over the tiles adds each tile's
 *       {@code [k, t]·[t, n]} product into its group's slice of {@code d rhs}. Work O(m·k·n) plus the padding (at most
 *       g·(t-1) rows), memory {@code [g, k, n]} plus the two row buffers; never a per-group mask of all rows.
 * </ul>
 */
final class RaggedDotVjp {
  private RaggedDotVjp() {}

  static List<Tensor> vjp(Graph g, Op.RaggedDot r, Tensor ct, boolean[] need) {
    Tensor lhs = g.wrap(r.lhs());
    Tensor rhs = g.wrap(r.rhs());
    Tensor sizes = g.wrap(r.groupSizes());
    List<Tensor> out = new ArrayList<>(Collections.nCopies(3, null));
    if (need[0]) {
      Tensor c = ct.astype(rhs.dtype());
      DType preferred = ct.dtype() == rhs.dtype() ? null : ct.dtype();
      out.set(0, Lax.raggedDot(c, rhs.transpose(0, 2, 1), sizes, preferred).astype(lhs.dtype()));
    }
    if (need[1]) out.set(1, groupedOuter(lhs, ct, sizes).astype(rhs.dtype()));
    return out;
  }

  /** Rows per tile for {@code rows} rows in {@code groups} groups: about a group's share, a power of two in [8, 512]. */
  static long tile(long rows, long groups) {
    long want = Math.max(1, (rows + groups - 1) / groups);
    long t = 8;
    while (t < want && t < 512) t *= 2;
    return t;
  }

  /**
   * {@code out[i] = Σ_{r in group i} a[r]ᵀ · b[r]} for {@code a [m, k]}, {@code b [m, n]} with rows grouped
   * contiguously by {@code sizes [g]} (rows past the last group count for none): {@code [g, k, n]} in b's dtype.
   */
  static Tensor groupedOuter(Tensor a, Tensor b, Tensor sizes) {
    Graph g = a.graph();
    long m = a.dim(0);
    long k = a.dim(1);
    long n = b.dim(1);
    long groups = sizes.dim(0);
    long t = tile(m, groups);
    long total = (m + groups * (t - 1) + t - 1) / t * t;
    long tiles = total / t;
    DType dt = b.dtype();
    Tensor s = sizes.astype(DType.I32);
    Tensor ends = s.cumsum(0);
    Tensor starts = ends.sub(s);
    Tensor padded = s.add(t - 1).intDiv(t).mul(t);
    Tensor padStart = padded.cumsum(0).sub(padded);
    Tensor row = g.iota(TensorType.of(DType.I32, m), 0);
    // a row's group: how many groups end at or before it (== groups past the last group)
    Tensor group = ends.reshape(1, groups).le(row.reshape(m, 1)).astype(DType.I32).sum(1);
    Tensor clamped = group.minimum(groups - 1);
    Tensor dest = Jnp.where(group.lt(groups), padStart.take(clamped, 0).add(row.sub(starts.take(clamped, 0))),
        total);                                                                   // out of range: scatter drops it
    Tensor aBuf = g.zeros(dt, total, k).scatterAdd(dest, a.astype(dt));
    Tensor bBuf = g.zeros(dt, total, n).scatterAdd(dest, b);
    Tensor padEnd = padStart.add(padded).reshape(1, groups);
    Tensor tileStart = g.iota(TensorType.of(DType.I32, tiles, 1), 0).mul(t);
    Tensor tileGroup = padEnd.le(tileStart).astype(DType.I32).sum(1).minimum(groups - 1);   // spare tiles: zeros
    DotDims contractRows = new DotDims(List.of(), List.of(), List.of(0), List.of(0));
    Tensor zero = g.scalar(0L, DType.I32);
    // the IR scan op, not the trace-time scan, even under an enclosing differentiation: this is already a backward
    return ScopedValue.where(LoopTracing.HANDLER, LoopTracing.LOWER).call(() ->
        Lax.foriLoop(0, (int) tiles, g.zeros(dt, groups, k, n), (i, acc) -> {
          Tensor start = i.mul(t);
          Tensor p = aBuf.dynamicSlice(0, start, t).dotGeneral(bBuf.dynamicSlice(0, start, t), contractRows,
              Precision.DEFAULT, null);                                           // [k, n]
          Tensor e = tileGroup.dynamicSlice(0, i, 1).reshape();
          Tensor cur = acc.dynamicSlice(0, e, 1);
          return acc.dynamicUpdateSlice(cur.add(p.reshape(1, k, n)), e, zero, zero);
        }));
  }
}
