package org.xla4j.dsl;

import org.xla4j.ir.Literal;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/** The identities of max and min reductions: -inf/+inf for floats, the extreme values for integers. */
final class Limits {
  private Limits() {}

  /** The smallest value of {@code d} (the identity of max), as a scalar literal. */
  static Literal lowest(DType d) {
    TensorType t = TensorType.scalar(d);
    return switch (d.kind()) {
      case FLOAT -> Literal.splat(t, Double.NEGATIVE_INFINITY);
      case BOOL, UNSIGNED -> Literal.ofLongs(t, 0);
      case SIGNED -> Literal.ofLongs(t, -(1L << (d.bits() - 1)));
    };
  }

  /** The largest value of {@code d} (the identity of min), as a scalar literal. */
  static Literal highest(DType d) {
    TensorType t = TensorType.scalar(d);
    return switch (d.kind()) {
      case FLOAT -> Literal.splat(t, Double.POSITIVE_INFINITY);
      case BOOL -> Literal.ofLongs(t, 1);
      case UNSIGNED -> Literal.ofLongs(t, d.bits() == 64 ? -1L : (1L << d.bits()) - 1);
      case SIGNED -> Literal.ofLongs(t, d.bits() == 64 ? Long.MAX_VALUE : (1L << (d.bits() - 1)) - 1);
    };
  }
}
