package org.xla4j.dsl;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Block;
import org.xla4j.ir.GatherDims;
import org.xla4j.ir.Op;
import org.xla4j.ir.ScatterDims;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/** Integer indexing: one_hot, take (gather along an axis) and scatter-add (index_add). */
final class Indexing {
  private Indexing() {}

  /** {@code jax.nn.one_hot}: {@code [..] -> [.., depth]}, 1 where the index matches; out-of-range rows are all 0. */
  static Tensor oneHot(Tensor x, int depth, DType dtype) {
    Graph g = x.graph();
    if (!x.dtype().isInteger()) throw g.error("oneHot", "requires integer indices, got " + x.type());
    if (depth < 0) throw g.error("oneHot", "requires depth >= 0, got " + depth);
    Shape s = x.shape().append(Shape.of(depth));
    Tensor classes = g.iota(new TensorType(x.dtype(), s), s.rank() - 1);
    Tensor idx = x.expandDims(-1);
    return Broadcasting.to("oneHot", idx, s).eq(classes).astype(dtype);
  }

  /**
   * {@code jnp.take(x, indices, axis)}: result shape {@code x.shape[:axis] + indices.shape +
   * x.shape[axis+1:]}. Out-of-range indices are clamped (gather's semantics).
   */
  static Tensor take(Tensor x, Tensor indices, int axis) {
    Graph g = Graph.of("take", x, indices);
    if (!indices.dtype().isInteger()) throw g.error("take", "requires integer indices, got " + indices.type());
    int a = Axes.axis("take", x, axis);
    int ri = indices.rank();
    List<Integer> offset = new ArrayList<>();
    for (int i = 0; i < x.rank(); i++) {
      if (i < a) offset.add(i);
      else if (i > a) offset.add(i - 1 + ri);
    }
    List<Long> sizes = new ArrayList<>();
    for (int i = 0; i < x.rank(); i++) sizes.add(i == a ? 1L : x.shape().dim(i));
    // index_vector_dim == indices.rank(): each index is a scalar, the index vector is implicit
    GatherDims dims = new GatherDims(offset, List.of(a), List.of(), List.of(), List.of(a), ri);
    return g.emit1(new Op.Gather(x.value(), indices.value(), dims, sizes, false));
  }

  /**
   * {@code x.at[indices].add(updates)} along {@code axis}: for a rank-1 {@code indices} of length N,
   * {@code updates} has x's shape with N at {@code axis}; repeated indices accumulate, out-of-range
   * ones are dropped (scatter's semantics).
   */
  static Tensor scatterAdd(Tensor x, int axis, Tensor indices, Tensor updates) {
    Graph g = Graph.of("scatterAdd", x, indices, updates);
    int a = Axes.axis("scatterAdd", x, axis);
    if (!indices.dtype().isInteger() || indices.rank() != 1) {
      throw g.error("scatterAdd", "requires rank-1 integer indices, got " + indices.type());
    }
    Shape want = x.shape().with(a, indices.shape().dim(0));
    if (!updates.shape().equals(want)) {
      throw g.error("scatterAdd", "requires updates of shape " + want + " for " + x.shape() + " and "
          + indices.shape() + " indices on axis " + axis + ", got " + updates.shape());
    }
    List<Integer> window = new ArrayList<>();
    for (int i = 0; i < x.rank(); i++) if (i != a) window.add(i);
    ScatterDims dims = new ScatterDims(window, List.of(a), List.of(), List.of(), List.of(a), 1);
    TensorType s = TensorType.scalar(x.dtype());
    Block add = g.fb().region(List.of(s, s), true,
        v -> List.of(g.fb().emit1(new Op.Binary(x.dtype().isBool() ? BinaryKind.OR : BinaryKind.ADD, v.get(0),
            v.get(1)))));
    return g.emit(new Op.Scatter(List.of(x.value()), indices.value(), List.of(updates.astype(x.dtype()).value()),
        dims, add, false, false)).get(0);
  }
}
