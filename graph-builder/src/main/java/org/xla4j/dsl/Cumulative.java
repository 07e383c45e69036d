package org.xla4j.dsl;

import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Literal;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Inclusive scans along one axis (cumsum, cumprod, cummax, cummin) without reduce_window: a
 * Hillis-Steele scan of ceil(log2 n) steps, each combining the running result with a copy of itself
 * shifted by 2^k along the axis (pad with the identity at the front, drop as many at the back).
 * Exact for integers; for floats the summation order is a tree, as XLA's own scans are.
 */
final class Cumulative {
  private Cumulative() {}

  static Tensor cumsum(Tensor x, int axis) {
    DType d = x.dtype().isBool() || x.dtype() == DType.I8 || x.dtype() == DType.I16 ? DType.I32
        : x.dtype() == DType.U8 || x.dtype() == DType.U16 ? DType.U32 : x.dtype();
    return scan("cumsum", x.astype(d), axis, BinaryKind.ADD, Literal.splat(TensorType.scalar(d), 0));
  }

  static Tensor cumprod(Tensor x, int axis) {
    DType d = x.dtype().isBool() ? DType.I32 : x.dtype();
    return scan("cumprod", x.astype(d), axis, BinaryKind.MULTIPLY, Literal.splat(TensorType.scalar(d), 1));
  }

  static Tensor cummax(Tensor x, int axis) {
    return scan("cummax", x, axis, BinaryKind.MAXIMUM, Limits.lowest(x.dtype()));
  }

  static Tensor cummin(Tensor x, int axis) {
    return scan("cummin", x, axis, BinaryKind.MINIMUM, Limits.highest(x.dtype()));
  }

  private static Tensor scan(String op, Tensor x, int axis, BinaryKind kind, Literal identity) {
    int a = Axes.axis(op, x, axis);
    long n = x.shape().dim(a);
    Tensor y = x;
    for (long shift = 1; shift < n; shift *= 2) {
      long[] low = new long[x.rank()];
      long[] high = new long[x.rank()];
      low[a] = shift;
      high[a] = -shift;
      Tensor shifted = x.graph().wrap(x.graph().fb().emit1(new org.xla4j.ir.Op.Pad(y.value(),
          x.graph().constant(identity).value(), ShapeOps.boxed(low), ShapeOps.boxed(high),
          ShapeOps.boxed(new long[x.rank()]))));
      y = Elementwise.emit(kind, y, shifted);
    }
    return y;
  }
}
