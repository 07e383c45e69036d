package org.xla4j.ir;

import static org.xla4j.ir.ShapeRules.axisIn;
import static org.xla4j.ir.ShapeRules.blockSignature;
import static org.xla4j.ir.ShapeRules.require;
import static org.xla4j.ir.ShapeRules.types;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/** Shape rules of gather and scatter, which share the index-vector conventions. */
final class GatherRules {
  private GatherRules() {}

  static TensorType gather(Op.Gather g) {
    TensorType x = g.operand().type();
    TensorType idx = g.startIndices().type();
    GatherDims d = g.dims();
    require(idx.dtype().isInteger(), "integer start indices, got " + idx);
    require(g.sliceSizes().size() == x.rank(), "slice_sizes of length " + x.rank() + " for " + x + ", got " + g.sliceSizes());
    for (int i = 0; i < x.rank(); i++) {
      require(g.sliceSizes().get(i) >= 0 && g.sliceSizes().get(i) <= x.shape().dim(i),
          "slice_sizes within " + x.shape() + ", got " + g.sliceSizes());
    }
    require(d.indexVectorDim() >= 0 && d.indexVectorDim() <= idx.rank(),
        "index_vector_dim in [0, " + idx.rank() + "], got " + d.indexVectorDim());
    long vec = d.indexVectorDim() == idx.rank() ? 1 : idx.shape().dim(d.indexVectorDim());
    require(d.startIndexMap().size() == vec, "start_index_map of length " + vec + " (the index vector size of "
        + idx + "), got " + d.startIndexMap());
    for (int c : d.collapsedSliceDims()) {
      axisIn(c, x.rank(), "collapsed_slice_dims");
      require(g.sliceSizes().get(c) <= 1, "slice size <= 1 on collapsed dimension " + c + ", got " + g.sliceSizes());
    }
    for (int c : d.operandBatchingDims()) {
      axisIn(c, x.rank(), "operand_batching_dims");
      require(g.sliceSizes().get(c) <= 1, "slice size <= 1 on batching dimension " + c + ", got " + g.sliceSizes());
    }
    for (int m : d.startIndexMap()) axisIn(m, x.rank(), "start_index_map");
    List<Long> batch = new ArrayList<>();
    for (int i = 0; i < idx.rank(); i++) if (i != d.indexVectorDim()) batch.add(idx.shape().dim(i));
    List<Long> offset = new ArrayList<>();
    for (int i = 0; i < x.rank(); i++) {
      if (!d.collapsedSliceDims().contains(i) && !d.operandBatchingDims().contains(i)) offset.add(g.sliceSizes().get(i));
    }
    require(d.offsetDims().size() == offset.size(), offset.size() + " offset_dims (one per uncollapsed slice dim), got "
        + d.offsetDims());
    int rank = batch.size() + offset.size();
    long[] out = new long[rank];
    int bi = 0;
    int oi = 0;
    for (int i = 0; i < rank; i++) {
      if (d.offsetDims().contains(i)) out[i] = offset.get(oi++);
      else if (bi < batch.size()) out[i] = batch.get(bi++);
      else throw new IllegalArgumentException("requires offset_dims within the result rank " + rank + ", got " + d.offsetDims());
    }
    require(oi == offset.size(), "offset_dims within the result rank " + rank + ", got " + d.offsetDims());
    return new TensorType(x.dtype(), Shape.of(out));
  }

  static List<TensorType> scatter(Op.Scatter s) {
    require(!s.inputs().isEmpty() && s.inputs().size() == s.updates().size(),
        "as many updates as inputs (>= 1), got " + s.inputs().size() + " and " + s.updates().size());
    TensorType x = s.inputs().get(0).type();
    TensorType idx = s.scatterIndices().type();
    ScatterDims d = s.dims();
    require(idx.dtype().isInteger(), "integer scatter indices, got " + idx);
    require(d.indexVectorDim() >= 0 && d.indexVectorDim() <= idx.rank(),
        "index_vector_dim in [0, " + idx.rank() + "], got " + d.indexVectorDim());
    long vec = d.indexVectorDim() == idx.rank() ? 1 : idx.shape().dim(d.indexVectorDim());
    require(d.scatterDimsToOperandDims().size() == vec,
        "scatter_dims_to_operand_dims of length " + vec + ", got " + d.scatterDimsToOperandDims());
    TensorType u = s.updates().get(0).type();
    List<Long> scatterDims = new ArrayList<>();
    for (int i = 0; i < idx.rank(); i++) if (i != d.indexVectorDim()) scatterDims.add(idx.shape().dim(i));
    List<Long> updScatter = new ArrayList<>();
    for (int i = 0; i < u.rank(); i++) if (!d.updateWindowDims().contains(i)) updScatter.add(u.shape().dim(i));
    require(updScatter.equals(scatterDims), "update scatter dimensions " + scatterDims + " (from indices " + idx
        + "), got " + updScatter + " in updates " + u);
    int windowRank = x.rank() - d.insertedWindowDims().size() - d.inputBatchingDims().size();
    require(d.updateWindowDims().size() == windowRank,
        windowRank + " update_window_dims, got " + d.updateWindowDims());
    for (int i = 0; i < s.inputs().size(); i++) {
      require(s.inputs().get(i).type().shape().equals(x.shape()), "inputs of one shape, got " + types(s.inputs()));
      require(s.updates().get(i).type().shape().equals(u.shape()), "updates of one shape, got " + types(s.updates()));
      require(s.updates().get(i).type().dtype() == s.inputs().get(i).type().dtype(),
          "update " + i + " of the input's element type, got " + s.updates().get(i).type());
    }
    List<TensorType> scalars = s.inputs().stream().map(v -> TensorType.scalar(v.type().dtype())).toList();
    List<TensorType> args = new ArrayList<>(scalars);
    args.addAll(scalars);
    blockSignature(s.computation(), args, scalars, "update computation");
    return types(s.inputs());
  }
}
