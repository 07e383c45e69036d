package org.xla4j.models.moe;

import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/**
 * {@link MoeImplementation#DROPLESS}: the N·K token copies sorted by expert (stable), a grouped matmul, the
 * inverse permutation, the gated sum. Nothing is dropped.
 *
 * <p>Portable grouped matmul ({@link TiledLayout}): each expert's rows are padded to whole tiles of m rows, laid
 * out group after group in a buffer of {@code R = roundUp(N·K + E·(m-1), m)} rows, so every tile belongs to one
 * expert; a loop over tiles multiplies each tile by its expert's matrices (a dynamic slice: one expert's weights
 * per step, never a gathered copy). Padding rows are zero and their results unused.
 */
final class DroplessMoe implements MoeImpl {
  /** The tile size used for {@code copies} rows over {@code experts} experts with option {@code tile}. */
  static long tile(int tile, long copies, long experts) {
    if (tile > 0) return tile;
    long want = Math.max(1, copies / experts);
    long m = 8;
    while (m < want && m < 128) m *= 2;
    return m;
  }

  @Override
  public Out compute(MoeProblem p) {
    return compute(p, p.experts().reshape(p.tokens() * p.topK()).oneHot((int) p.numExperts(), DType.I32).sum(0));
  }

  /** {@link #compute(MoeProblem)} with the copies per expert {@code counts [E]} (i32) already counted. */
  Out compute(MoeProblem p, Tensor counts) {
    Graph g = p.x().graph();
    long n = p.tokens();
    int k = p.topK();
    long e = p.numExperts();
    long copies = n * k;
    Tensor ids = p.experts().reshape(copies);                           // copy j = token j / K, slot j % K
    Tensor perm = ids.argsort(0, false);                                 // copies in expert order (stable)
    Tensor sortedIds = ids.take(perm, 0);
    Tensor rows = p.x().take(perm.intDiv((long) k), 0);                  // [NK, D]
    Tensor y = useRaggedDot(p.options()) ? ragged(p, rows, counts)
        : grouped(g, p, rows, sortedIds, counts);                         // [NK, D], sorted order
    Tensor back = y.take(perm.argsort(0, false), 0).reshape(n, k, p.model());
    return new Out(Experts.combine(back, p.gates(), p.x().dtype(), p.options()), g.scalar(0L, DType.I32));
  }

  /**
   * Whether the grouped matmuls are {@code chlo.ragged_dot}: when asked for, except on platform {@code cpu}
   * (TensorFlow 2.18's XLA CPU does not take the op; RaggedDotCpuTest records what it says), where the
   * portable form runs instead.
   */
  static boolean useRaggedDot(MoeOptions o) {
    return o.raggedDot() && !"cpu".equalsIgnoreCase(o.platform() == null ? "" : o.platform().trim());
  }

  /** Rows sorted by expert through their experts as two-plus-one {@code chlo.ragged_dot}s (dequantized weights). */
  private static Tensor ragged(MoeProblem p, Tensor rows, Tensor counts) {
    MoeWeights w = p.weights();
    DType dt = rows.dtype();
    Tensor a = Lax.raggedDot(rows, w.linear().matrix().astype(dt), counts, null);
    Tensor v = Lax.raggedDot(rows, w.linearV().matrix().astype(dt), counts, null);
    return Lax.raggedDot(Experts.hidden(a, v, p.options()), w.linear1().matrix().astype(dt), counts, null);
  }

  /** Rows sorted by expert through their experts: the portable tiled form. */
  private static Tensor grouped(Graph g, MoeProblem p, Tensor rows, Tensor sortedIds, Tensor counts) {
    TiledLayout l = TiledLayout.of(g, p.options().tileSize(), sortedIds, counts, p.numExperts());
    long m = l.m();
    Tensor buf = l.place(rows);
    Tensor out = Lax.foriLoop(0, (int) l.tiles(), List.of(g.zeros(rows.dtype(), l.total(), p.model())), (t, c) -> {
      Tensor start = t.mul(m);
      Tensor tileRows = buf.dynamicSlice(0, start, m).expandDims(0);                           // [1, m, D]
      Tensor ex = l.tileExpert().dynamicSlice(0, t, 1).reshape();
      MoeWeights w = p.weights().mapExperts(x -> x.dynamicSlice(0, ex, 1));
      Tensor y = Experts.ffn(tileRows, w, p.options()).squeeze(0);
      return List.of(c.get(0).dynamicUpdateSlice(y, start, g.scalar(0L, DType.I32)));
    }).get(0);
    return out.take(l.dest(), 0);
  }
}
