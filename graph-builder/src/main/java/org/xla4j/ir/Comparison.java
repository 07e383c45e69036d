package org.xla4j.ir;

import org.xla4j.types.DType;

/** Attributes of {@code stablehlo.compare}. */
public final class Comparison {
  private Comparison() {}

  /** {@code #stablehlo<comparison_direction ...>}. */
  public enum Direction { EQ, NE, GE, GT, LE, LT }

  /** {@code #stablehlo<comparison_type ...>}: how operands are compared. */
  public enum Type {
    FLOAT, TOTALORDER, SIGNED, UNSIGNED;

    /** The natural comparison type for an element type (pred compares unsigned). */
    public static Type forDType(DType d) {
      return switch (d.kind()) {
        case FLOAT -> FLOAT;
        case SIGNED -> SIGNED;
        case UNSIGNED, BOOL -> UNSIGNED;
      };
    }
  }
}
