package org.xla4j.dsl;

import java.util.List;
import org.xla4j.ir.Block;
import org.xla4j.ir.Comparison;
import org.xla4j.ir.Op;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/** sort, argsort and top_k. Sorting is stable; argsort breaks ties by original position. */
final class Sorting {
  private Sorting() {}

  static Tensor sort(Tensor x, int axis, boolean descending) {
    return sorted("sort", List.of(x), axis, descending).get(0);
  }

  static Tensor argsort(Tensor x, int axis, boolean descending) {
    int a = Axes.axis("argsort", x, axis);
    Tensor idx = x.graph().iota(new TensorType(DType.I32, x.shape()), a);
    return sorted("argsort", List.of(x, idx), a, descending).get(1);
  }

  /** Sorts all inputs by the first, along {@code axis}. */
  private static List<Tensor> sorted(String op, List<Tensor> xs, int axis, boolean descending) {
    Tensor key = xs.get(0);
    Graph g = key.graph();
    int a = Axes.axis(op, key, axis);
    List<TensorType> args = new java.util.ArrayList<>();
    for (Tensor t : xs) {
      args.add(TensorType.scalar(t.dtype()));
      args.add(TensorType.scalar(t.dtype()));
    }
    Comparison.Direction dir = descending ? Comparison.Direction.GT : Comparison.Direction.LT;
    Block cmp = g.fb().region(args, true, v -> List.of(g.fb().emit1(
        new Op.Compare(dir, Comparison.Type.forDType(key.dtype()), v.get(0), v.get(1)))));
    return g.emit(new Op.Sort(xs.stream().map(Tensor::value).toList(), a, true, cmp));
  }

  static TopK topK(Tensor x, int k) {
    Graph g = x.graph();
    if (x.rank() == 0 || k < 0 || k > x.shape().dim(x.rank() - 1)) {
      throw g.error("topK", "requires 0 <= k <= the last dimension of a rank >= 1 tensor, got k=" + k + " for "
          + x.shape());
    }
    List<Tensor> r = g.emit(new Op.TopK(x.value(), k));
    return new TopK(r.get(0), r.get(1));
  }
}
