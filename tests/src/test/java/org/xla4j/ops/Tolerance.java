package org.xla4j.ops;

import static org.junit.jupiter.api.Assertions.fail;

import org.xla4j.types.DType;

/**
 * How far an op's result may be from the plain-Java oracle, per element type, in one place. An element
 * passes when {@code |actual - expected| <= rel * scale + abs}, where {@code scale} is {@code |expected|}
 * for elementwise ops and {@code sum_k |a_k * b_k|} for dot products (the classic bound for a
 * length-K sum is {@code K * u * sum|a*b|}, u the unit roundoff).
 *
 * <p>The oracles compute in double from the inputs the device actually saw (bf16/f16 inputs are
 * rounded to that type first), so these bounds cover only the op's own rounding:
 *
 * <table>
 *   <caption>tolerances</caption>
 *   <tr><th>dtype</th><th>exact ops (add, convert, ...)</th><th>transcendental (exp, tanh, erf, ...)</th><th>dot of length K</th></tr>
 *   <tr><td>f32</td><td>1e-5 rel, 1e-6 abs</td><td>1e-5 rel, 1e-6 abs</td><td>2e-6*K rel to sum|a*b|</td></tr>
 *   <tr><td>f64</td><td>1e-12 rel, 1e-14 abs</td><td>1e-12 rel, 1e-14 abs</td><td>1e-14*K rel to sum|a*b|</td></tr>
 *   <tr><td>bf16</td><td>2^-8 rel (2 x unit roundoff), 1e-5 abs</td><td>2^-8 rel, 1e-5 abs</td><td>2^-8 + 2e-6*K rel</td></tr>
 *   <tr><td>f16</td><td>2^-10 rel (2 x unit roundoff), 2^-14 abs</td><td>2^-10 rel, 2^-14 abs</td><td>2^-10 + 2e-6*K rel</td></tr>
 *   <tr><td>integers, pred</td><td>exact</td><td>-</td><td>exact</td></tr>
 * </table>
 */
record Tolerance(String name, double rel, double abs) {

  static final Tolerance EXACT = new Tolerance("exact", 0, 0);

  /** Correctly rounded ops: arithmetic, conversions, data movement. */
  static Tolerance exact(DType d) {
    return switch (d) {
      case F32 -> new Tolerance("f32", 1e-5, 1e-6);
      case F64 -> new Tolerance("f64", 1e-12, 1e-14);
      case BF16 -> new Tolerance("bf16", 0x1p-8, 1e-5);
      case F16 -> new Tolerance("f16", 0x1p-10, 0x1p-14);
      default -> EXACT;
    };
  }

  /** exp, log, tanh, logistic, erf, sin, pow, ...: XLA's polynomial approximations, a few ulps. */
  static Tolerance transcendental(DType d) {
    return switch (d) {
      case F32 -> new Tolerance("f32 transcendental", 1e-5, 1e-6);
      case F64 -> new Tolerance("f64 transcendental", 1e-12, 1e-14);
      case BF16 -> new Tolerance("bf16 transcendental", 0x1p-8, 1e-5);
      case F16 -> new Tolerance("f16 transcendental", 0x1p-10, 0x1p-14);
      default -> EXACT;
    };
  }

  /**
   * A dot product of length {@code k} whose result has type {@code d}; applied with
   * {@code scale = sum|a_k * b_k|} (see {@link #assertDot}).
   */
  static Tolerance dot(DType d, int k) {
    return switch (d) {
      case F32 -> new Tolerance("f32 dot K=" + k, 2e-6 * k, 1e-6);
      case F64 -> new Tolerance("f64 dot K=" + k, 1e-14 * k, 1e-14);
      case BF16 -> new Tolerance("bf16 dot K=" + k, 0x1p-8 + 2e-6 * k, 1e-5);
      case F16 -> new Tolerance("f16 dot K=" + k, 0x1p-10 + 2e-6 * k, 0x1p-14);
      default -> EXACT;
    };
  }

  boolean accepts(double expected, double actual, double scale) {
    if (Double.isNaN(expected)) return Double.isNaN(actual);
    if (Double.isInfinite(expected)) return expected == actual;
    return Math.abs(actual - expected) <= rel * Math.abs(scale) + abs;
  }

  /** Elementwise check against {@code |expected|}; reports the first bad element with its neighbours' context. */
  void assertClose(String what, double[] expected, float[] actual) {
    assertScaled(what, expected, expected, actual);
  }

  /** Dot-product check: element i may be off by {@code rel * magnitude[i] + abs}. */
  void assertDot(String what, double[] expected, double[] magnitude, float[] actual) {
    assertScaled(what, expected, magnitude, actual);
  }

  private void assertScaled(String what, double[] expected, double[] scale, float[] actual) {
    if (expected.length != actual.length) {
      fail(what + ": expected " + expected.length + " elements, got " + actual.length);
    }
    int bad = 0;
    int first = -1;
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      if (!accepts(expected[i], actual[i], scale[i])) {
        if (first < 0) first = i;
        bad++;
      }
      if (Double.isFinite(expected[i])) {
        double bound = rel * Math.abs(scale[i]) + abs;
        worst = Math.max(worst, bound == 0 ? 0 : Math.abs(actual[i] - expected[i]) / bound);
      }
    }
    if (bad > 0) {
      fail(what + ": " + bad + " of " + expected.length + " elements outside " + this + "; first at [" + first
          + "]: expected " + expected[first] + ", got " + actual[first] + " (scale " + scale[first]
          + "); worst error / bound = " + worst);
    }
  }

  @Override
  public String toString() { return name + " (rel " + rel + ", abs " + abs + ")"; }
}
