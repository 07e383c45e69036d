package org.xla4j.ir;

/** The elementwise unary family: one record ({@link Op.Unary}) with this enum as its kind. */
public enum UnaryKind {
  ABS("stablehlo.abs", Accepts.SIGNED_OR_FLOAT),
  NEGATE("stablehlo.negate", Accepts.SIGNED_OR_FLOAT),
  SQRT("stablehlo.sqrt", Accepts.FLOAT),
  RSQRT("stablehlo.rsqrt", Accepts.FLOAT),
  CBRT("stablehlo.cbrt", Accepts.FLOAT),
  EXP("stablehlo.exponential", Accepts.FLOAT),
  EXPM1("stablehlo.exponential_minus_one", Accepts.FLOAT),
  LOG("stablehlo.log", Accepts.FLOAT),
  LOG1P("stablehlo.log_plus_one", Accepts.FLOAT),
  TANH("stablehlo.tanh", Accepts.FLOAT),
  LOGISTIC("stablehlo.logistic", Accepts.FLOAT),
  SIN("stablehlo.sine", Accepts.FLOAT),
  COS("stablehlo.cosine", Accepts.FLOAT),
  TAN("stablehlo.tan", Accepts.FLOAT),
  FLOOR("stablehlo.floor", Accepts.FLOAT),
  CEIL("stablehlo.ceil", Accepts.FLOAT),
  /** Round half away from zero. */
  ROUND("stablehlo.round_nearest_afz", Accepts.FLOAT),
  /** Round half to even. */
  ROUND_EVEN("stablehlo.round_nearest_even", Accepts.FLOAT),
  SIGN("stablehlo.sign", Accepts.SIGNED_OR_FLOAT),
  NOT("stablehlo.not", Accepts.BOOL_OR_INT),
  POPCNT("stablehlo.popcnt", Accepts.INT),
  CLZ("stablehlo.count_leading_zeros", Accepts.INT),
  /** Result is pred. */
  IS_FINITE("stablehlo.is_finite", Accepts.FLOAT),
  /** Lowered through CHLO, which both of our parsers accept. */
  ERF("chlo.erf", Accepts.FLOAT);

  /** Which element types an op accepts. */
  public enum Accepts { FLOAT, SIGNED_OR_FLOAT, INT, BOOL_OR_INT }

  private final String opName;
  private final Accepts accepts;

  UnaryKind(String opName, Accepts accepts) {
    this.opName = opName;
    this.accepts = accepts;
  }

  public String opName() { return opName; }

  public Accepts accepts() { return accepts; }
}
