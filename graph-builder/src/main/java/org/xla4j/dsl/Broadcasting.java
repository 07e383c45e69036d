package org.xla4j.dsl;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.ir.Op;
import org.xla4j.types.Shape;

/**
 * NumPy broadcasting. Shapes are aligned at their last dimension; each aligned pair must be equal or
 * contain a 1, and missing leading dimensions count as 1. The result takes the larger of each pair:
 * {@code [8, 1, 6] with [7, 1] -> [8, 7, 6]}. Broadcasting emits {@code stablehlo.broadcast_in_dim}
 * only when a shape actually changes.
 */
final class Broadcasting {
  private Broadcasting() {}

  /** The broadcast shape of all inputs, or an error naming {@code op} and the shapes. */
  static Shape shape(String op, Graph g, Shape... shapes) {
    int rank = 0;
    for (Shape s : shapes) rank = Math.max(rank, s.rank());
    long[] out = new long[rank];
    java.util.Arrays.fill(out, 1);
    for (Shape s : shapes) {
      for (int i = 0; i < s.rank(); i++) {
        int o = rank - s.rank() + i;
        long d = s.dim(i);
        if (d == out[o] || d == 1) continue;
        if (out[o] == 1) {
          out[o] = d;
          continue;
        }
        List<String> all = new ArrayList<>();
        for (Shape x : shapes) all.add(x.toString());
        throw g.error(op, "requires broadcast-compatible shapes, got " + String.join(" and ", all));
      }
    }
    return Shape.of(out);
  }

  /** {@code x} broadcast to {@code shape} (trailing alignment), or {@code x} itself when already there. */
  static Tensor to(String op, Tensor x, Shape shape) {
    if (x.shape().equals(shape)) return x;
    Shape s = shape(op, x.graph(), x.shape(), shape);
    if (!s.equals(shape)) {
      throw x.graph().error(op, "requires a shape that broadcasts to " + shape + ", got " + x.shape());
    }
    List<Integer> dims = new ArrayList<>();
    for (int i = 0; i < x.rank(); i++) dims.add(shape.rank() - x.rank() + i);
    return x.graph().emit1(new Op.BroadcastInDim(x.value(), shape, dims));
  }
}
