package org.xla4j.dsl;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.Op;
import org.xla4j.ir.Precision;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/**
 * {@code matmul} with NumPy semantics, lowered to one {@code stablehlo.dot_general}:
 * <ul>
 *   <li>1-D x 1-D: inner product (a scalar);</li>
 *   <li>1-D on either side: treated as a row (lhs) or column (rhs) vector, that dimension dropped;</li>
 *   <li>N-D x 2-D (e.g. {@code [b, s, d] @ [d, e]}): a plain contraction, no broadcast of the weight;</li>
 *   <li>N-D x N-D: the leading (batch) dimensions broadcast against each other, then a batched dot.</li>
 * </ul>
 */
final class LinAlg {
  private LinAlg() {}

  static Tensor matmul(Tensor a, Tensor b, DType preferred) {
    return matmul(a, b, preferred, Precision.DEFAULT);
  }

  static Tensor matmul(Tensor a, Tensor b, DType preferred, Precision precision) {
    Tensor[] x = promote("matmul", a, b);
    Tensor l = x[0];
    Tensor r = x[1];
    Graph g = l.graph();
    if (l.rank() == 0 || r.rank() == 0) {
      throw g.error("matmul", "requires operands of rank >= 1, got " + l.shape() + " and " + r.shape());
    }
    int lk = l.rank() - 1;
    int rk = r.rank() == 1 ? 0 : r.rank() - 2;
    if (l.shape().dim(lk) != r.shape().dim(rk)) {
      throw g.error("matmul", "requires equal contracting dimensions, got " + l.shape() + " and " + r.shape()
          + " (" + l.shape().dim(lk) + " vs " + r.shape().dim(rk) + ")");
    }
    int lBatch = Math.max(0, l.rank() - 2);
    int rBatch = Math.max(0, r.rank() - 2);
    if (lBatch == 0 || rBatch == 0) {
      // no batch on one side: contract directly; result is lhs free dims then rhs free dims
      Tensor out = dotGeneral(l, r, new DotDims(List.of(), List.of(), List.of(lk), List.of(rk)), precision, preferred);
      if (lBatch == 0 && rBatch > 0 && l.rank() == 2) {
        // [m, B..., n] -> [B..., m, n]
        int[] perm = new int[out.rank()];
        for (int i = 0; i < rBatch; i++) perm[i] = i + 1;
        perm[rBatch] = 0;
        perm[rBatch + 1] = rBatch + 1;
        out = out.transpose(perm);
      }
      return out;
    }
    Shape lb = Shape.of(java.util.Arrays.copyOf(l.shape().dims(), lBatch));
    Shape rb = Shape.of(java.util.Arrays.copyOf(r.shape().dims(), rBatch));
    Shape batch = Broadcasting.shape("matmul", g, lb, rb);
    l = Broadcasting.to("matmul", l, batch.append(Shape.of(java.util.Arrays.copyOfRange(l.shape().dims(), lBatch, l.rank()))));
    r = Broadcasting.to("matmul", r, batch.append(Shape.of(java.util.Arrays.copyOfRange(r.shape().dims(), rBatch, r.rank()))));
    List<Integer> bd = new ArrayList<>();
    for (int i = 0; i < batch.rank(); i++) bd.add(i);
    return dotGeneral(l, r, new DotDims(bd, bd, List.of(l.rank() - 1), List.of(r.rank() - 2)), precision, preferred);
  }

  static Tensor dot(Tensor l, Tensor r, DotDims dims, DType preferred) {
    return dotGeneral(l, r, dims, Precision.DEFAULT, preferred);
  }

  static Tensor dotGeneral(Tensor a, Tensor b, DotDims dims, Precision precision, DType preferred) {
    Tensor[] x = promote("dotGeneral", a, b);
    DType pref = preferred == null || preferred == x[0].dtype() ? null : preferred;
    return x[0].graph().emit1(new Op.DotGeneral(x[0].value(), x[1].value(), dims, precision, precision, pref));
  }

  /** Both operands in their common type (no broadcasting: dot dimensions are explicit). */
  static Tensor[] promote(String op, Tensor a, Tensor b) {
    DType d = Promotion.common(op, Graph.of(op, a, b), a, b);
    return new Tensor[] {a.astype(d), b.astype(d)};
  }
}
