package org.xla4j.ir;

/** The elementwise binary family: one record ({@link Op.Binary}) with this enum as its kind. */
public enum BinaryKind {
  ADD("stablehlo.add", Accepts.ANY),
  SUBTRACT("stablehlo.subtract", Accepts.NUMERIC),
  MULTIPLY("stablehlo.multiply", Accepts.ANY),
  DIVIDE("stablehlo.divide", Accepts.NUMERIC),
  REMAINDER("stablehlo.remainder", Accepts.NUMERIC),
  MAXIMUM("stablehlo.maximum", Accepts.ANY),
  MINIMUM("stablehlo.minimum", Accepts.ANY),
  POWER("stablehlo.power", Accepts.NUMERIC),
  ATAN2("stablehlo.atan2", Accepts.FLOAT),
  AND("stablehlo.and", Accepts.BOOL_OR_INT),
  OR("stablehlo.or", Accepts.BOOL_OR_INT),
  XOR("stablehlo.xor", Accepts.BOOL_OR_INT),
  SHIFT_LEFT("stablehlo.shift_left", Accepts.INT),
  SHIFT_RIGHT_ARITHMETIC("stablehlo.shift_right_arithmetic", Accepts.INT),
  SHIFT_RIGHT_LOGICAL("stablehlo.shift_right_logical", Accepts.INT);

  /** Which element types an op accepts. */
  public enum Accepts { ANY, NUMERIC, FLOAT, INT, BOOL_OR_INT }

  private final String opName;
  private final Accepts accepts;

  BinaryKind(String opName, Accepts accepts) {
    this.opName = opName;
    this.accepts = accepts;
  }

  public String opName() { return opName; }

  public Accepts accepts() { return accepts; }
}
