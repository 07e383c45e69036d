package org.xla4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xla4j.ops.OpHarness.f32;
import static org.xla4j.ops.OpHarness.i32;
import static org.xla4j.ops.OpHarness.round;
import static org.xla4j.ops.OpHarness.scalar;
import static org.xla4j.ops.OpHarness.t;
import static org.xla4j.ops.OpHarness.tensor;
import static org.xla4j.ops.OpHarness.uniform;
import static org.xla4j.types.DType.BF16;
import static org.xla4j.types.DType.F16;
import static org.xla4j.types.DType.F32;
import static org.xla4j.types.DType.I32;
import static org.xla4j.types.DType.PRED;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.IntBinaryOperator;
import java.util.function.IntUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Comparison;
import org.xla4j.ir.Op;
import org.xla4j.ir.UnaryKind;
import org.xla4j.ir.Value;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/** Every UnaryKind and BinaryKind, compare/select/clamp, on the CPU backend against Java oracles. */
class ElementwiseOpsTest {
  static final int N = 256;
  static OpHarness h;

  @BeforeAll
  static void open() { h = OpHarness.cpu(); }

  @AfterAll
  static void close() { h.close(); }

  // ------------------------------------------------------------------ unary

  /** Input domain, extra edge-case inputs, oracle and tolerance class of a float unary op. */
  record FloatUnary(double lo, double hi, float[] extras, DoubleUnaryOperator oracle, boolean transcendental) {}

  /** Null for kinds that take no floats. Exhaustive: a new UnaryKind fails to compile here. */
  static FloatUnary floatSpec(UnaryKind k) {
    float[] none = {};
    float[] halves = {0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 0.49999997f, -0.49999997f, 0f, -0f, 3f, -7f};
    return switch (k) {
      case ABS -> new FloatUnary(-10, 10, new float[] {0f, -0f}, Math::abs, false);
      case NEGATE -> new FloatUnary(-10, 10, new float[] {0f}, x -> -x, false);
      case SQRT -> new FloatUnary(0, 100, new float[] {0f, 1f, 4f, 1e-30f}, Math::sqrt, false);
      case RSQRT -> new FloatUnary(0.01, 100, new float[] {1f, 4f, 1e-30f}, x -> 1 / Math.sqrt(x), true);
      case CBRT -> new FloatUnary(-100, 100, new float[] {-8f, 27f, 0f}, Math::cbrt, true);
      case EXP -> new FloatUnary(-20, 20, new float[] {0f, 1f, -87f, 88f}, Math::exp, true);
      case EXPM1 -> new FloatUnary(-2, 2, new float[] {1e-7f, -1e-6f, 0f, 3e-4f}, Math::expm1, true);
      case LOG -> new FloatUnary(1e-3, 1e3, new float[] {1f, 1e-30f, 3e38f}, Math::log, true);
      case LOG1P -> new FloatUnary(-0.99, 10, new float[] {1e-7f, -1e-6f, 0f}, Math::log1p, true);
      case TANH -> new FloatUnary(-6, 6, new float[] {1e-6f, -3e-4f, 0f, 20f, -20f}, Math::tanh, true);
      case LOGISTIC -> new FloatUnary(-15, 15, new float[] {0f, 30f, -30f}, x -> 1 / (1 + Math.exp(-x)), true);
      case SIN -> new FloatUnary(-10, 10, new float[] {0f, 1e-6f}, Math::sin, true);
      case COS -> new FloatUnary(-10, 10, new float[] {0f}, Math::cos, true);
      case TAN -> new FloatUnary(-1.3, 1.3, new float[] {0f, 1e-6f}, Math::tan, true);
      case FLOOR -> new FloatUnary(-10, 10, halves, Math::floor, false);
      case CEIL -> new FloatUnary(-10, 10, halves, Math::ceil, false);
      case ROUND -> new FloatUnary(-10, 10, halves, x -> Math.copySign(Math.floor(Math.abs(x) + 0.5), x), false);
      case ROUND_EVEN -> new FloatUnary(-10, 10, halves, Math::rint, false);
      case SIGN -> new FloatUnary(-10, 10, new float[] {0f, -0f, 1e-30f}, Math::signum, false);
      case IS_FINITE -> new FloatUnary(-1e38, 1e38,
          new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, 0f},
          x -> Double.isFinite(x) ? 1 : 0, false);
      case ERF -> new FloatUnary(-3, 3, new float[] {0f, 1e-6f, 5f, -5f}, ElementwiseOpsTest::erf, true);
      case NOT, POPCNT, CLZ -> null;
    };
  }

  /** Null for kinds that take no signed integers. */
  static IntUnaryOperator intSpec(UnaryKind k) {
    return switch (k) {
      case ABS -> Math::abs; // abs(INT_MIN) wraps to INT_MIN, as in XLA
      case NEGATE -> x -> -x;
      case SIGN -> Integer::signum;
      case NOT -> x -> ~x;
      case POPCNT -> Integer::bitCount;
      case CLZ -> Integer::numberOfLeadingZeros;
      default -> null;
    };
  }

  @Test
  void everyKindHasAnOracle() {
    for (UnaryKind k : UnaryKind.values()) {
      assertTrue(floatSpec(k) != null || intSpec(k) != null, "no oracle for " + k);
    }
    for (BinaryKind k : BinaryKind.values()) {
      assertTrue(floatSpec(k) != null || intSpec(k) != null, "no oracle for " + k);
    }
  }

  @ParameterizedTest
  @EnumSource(value = UnaryKind.class, mode = EnumSource.Mode.EXCLUDE, names = {"NOT", "POPCNT", "CLZ"})
  void unaryF32(UnaryKind k) {
    runFloatUnary(k, floatSpec(k), F32, 11 + k.ordinal());
  }

  static Stream<Arguments> lowPrecisionUnary() {
    List<Arguments> a = new ArrayList<>();
    for (UnaryKind k : List.of(UnaryKind.EXP, UnaryKind.LOG, UnaryKind.TANH, UnaryKind.LOGISTIC, UnaryKind.SQRT,
        UnaryKind.RSQRT, UnaryKind.SIN, UnaryKind.ERF, UnaryKind.FLOOR, UnaryKind.NEGATE)) {
      a.add(Arguments.of(k, BF16));
      a.add(Arguments.of(k, F16));
    }
    return a.stream();
  }

  @ParameterizedTest
  @MethodSource("lowPrecisionUnary")
  void unaryLowPrecision(UnaryKind k, DType d) {
    FloatUnary s = floatSpec(k);
    // keep exp inside f16's range (max 65504)
    FloatUnary spec = k == UnaryKind.EXP ? new FloatUnary(-10, 10, new float[] {0f}, s.oracle(), true)
        : k == UnaryKind.LOG ? new FloatUnary(1e-3, 1e3, new float[] {1f}, s.oracle(), true)
        : new FloatUnary(s.lo(), s.hi(), new float[0], s.oracle(), s.transcendental());
    runFloatUnary(k, spec, d, 101 + k.ordinal());
  }

  private static void runFloatUnary(UnaryKind k, FloatUnary spec, DType d, long seed) {
    float[] rnd = uniform(new Random(seed), N, spec.lo(), spec.hi(), d);
    float[] x = new float[N + spec.extras().length];
    System.arraycopy(rnd, 0, x, 0, N);
    for (int i = 0; i < spec.extras().length; i++) x[N + i] = round(d, spec.extras()[i]);
    HostTensor out = h.run1(List.of(t(d, x.length)), (fb, a) -> List.of(fb.emit1(new Op.Unary(k, a.get(0)))),
        tensor(d, x, x.length));
    double[] expected = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      double e = spec.oracle().applyAsDouble(x[i]);
      expected[i] = k == UnaryKind.IS_FINITE ? e : round(d, (float) e); // the device rounds its result to d
    }
    if (k == UnaryKind.IS_FINITE) assertEquals(PRED, out.dtype());
    Tolerance tol = spec.transcendental() ? Tolerance.transcendental(d) : Tolerance.exact(d);
    tol.assertClose(k + " " + d.mlir(), expected, out.toFloatArray());
  }

  @ParameterizedTest
  @EnumSource(value = UnaryKind.class, names = {"ABS", "NEGATE", "SIGN", "NOT", "POPCNT", "CLZ"})
  void unaryI32(UnaryKind k) {
    Random rnd = new Random(200 + k.ordinal());
    int[] x = new int[N + 6];
    for (int i = 0; i < N; i++) x[i] = i % 2 == 0 ? rnd.nextInt() : rnd.nextInt(2001) - 1000;
    int[] extras = {0, -1, 1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x00010000};
    System.arraycopy(extras, 0, x, N, extras.length);
    HostTensor out = h.run1(List.of(t(I32, x.length)), (fb, a) -> List.of(fb.emit1(new Op.Unary(k, a.get(0)))),
        i32(x, x.length));
    IntUnaryOperator f = intSpec(k);
    int[] expected = new int[x.length];
    for (int i = 0; i < x.length; i++) expected[i] = f.applyAsInt(x[i]);
    assertArrayEquals(expected, out.toIntArray(), k + " i32");
  }

  @Test
  void notOnPred() {
    HostTensor out = h.run1(List.of(t(PRED, 4)),
        (fb, a) -> List.of(fb.emit1(new Op.Unary(UnaryKind.NOT, a.get(0)))), OpHarness.pred(true, false, false, true));
    assertArrayEquals(new float[] {0, 1, 1, 0}, out.toFloatArray());
  }

  @Test
  void specialValuesFollowIeee() {
    float[] x = {0f, -1f, 100f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
    List<UnaryKind> kinds = List.of(UnaryKind.LOG, UnaryKind.SQRT, UnaryKind.EXP, UnaryKind.TANH, UnaryKind.ABS);
    List<HostTensor> out = h.run(List.of(t(F32, x.length)), (fb, a) -> kinds.stream()
        .map(k -> fb.emit1(new Op.Unary(k, a.get(0)))).toList(), f32(x, x.length));
    float nan = Float.NaN;
    float inf = Float.POSITIVE_INFINITY;
    assertArrayEquals(new float[] {-inf, nan, (float) Math.log(100), inf, nan, nan}, out.get(0).toFloatArray(), "log");
    assertArrayEquals(new float[] {0f, nan, 10f, inf, nan, nan}, out.get(1).toFloatArray(), "sqrt");
    assertArrayEquals(new float[] {1f, (float) Math.exp(-1), inf, inf, 0f, nan}, out.get(2).toFloatArray(), 1e-6f, "exp");
    assertArrayEquals(new float[] {0f, (float) Math.tanh(-1), 1f, 1f, -1f, nan}, out.get(3).toFloatArray(), 1e-6f, "tanh");
    assertArrayEquals(new float[] {0f, 1f, 100f, inf, inf, nan}, out.get(4).toFloatArray(), "abs");
  }

  /** erf in double: Taylor series, accurate to ~1e-13 on |x| <= 3; 1 - tiny beyond. */
  static double erf(double x) {
    if (Math.abs(x) > 4) return Math.signum(x);
    double sum = 0;
    double term = x; // x^(2n+1) (-1)^n / n!
    for (int n = 0; n < 200; n++) {
      double add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
      term *= -x * x / (n + 1);
    }
    return 2 / Math.sqrt(Math.PI) * sum;
  }

  // ------------------------------------------------------------------ binary

  record FloatBinary(double aLo, double aHi, double bLo, double bHi, boolean randomSignB, DoubleBinaryOperator oracle,
      boolean transcendental) {}

  /** Null for kinds that take no floats. Exhaustive over BinaryKind. */
  static FloatBinary floatSpec(BinaryKind k) {
    return switch (k) {
      case ADD -> new FloatBinary(-10, 10, -10, 10, false, Double::sum, false);
      case SUBTRACT -> new FloatBinary(-10, 10, -10, 10, false, (a, b) -> a - b, false);
      case MULTIPLY -> new FloatBinary(-10, 10, -10, 10, false, (a, b) -> a * b, false);
      case DIVIDE -> new FloatBinary(-10, 10, 0.5, 10, true, (a, b) -> a / b, false);
      case REMAINDER -> new FloatBinary(-20, 20, 0.5, 5, true, (a, b) -> (float) a % (float) b, false);
      case MAXIMUM -> new FloatBinary(-10, 10, -10, 10, false, Math::max, false);
      case MINIMUM -> new FloatBinary(-10, 10, -10, 10, false, Math::min, false);
      case POWER -> new FloatBinary(0.1, 10, -3, 3, false, Math::pow, true);
      case ATAN2 -> new FloatBinary(-10, 10, -10, 10, false, Math::atan2, true);
      case AND, OR, XOR, SHIFT_LEFT, SHIFT_RIGHT_ARITHMETIC, SHIFT_RIGHT_LOGICAL -> null;
    };
  }

  /** Null for kinds that take no integers. Exhaustive over BinaryKind. */
  static IntBinaryOperator intSpec(BinaryKind k) {
    return switch (k) {
      case ADD -> Integer::sum;
      case SUBTRACT -> (a, b) -> a - b;
      case MULTIPLY -> (a, b) -> a * b;
      case DIVIDE -> (a, b) -> a / b;
      case REMAINDER -> (a, b) -> a % b;
      case MAXIMUM -> Math::max;
      case MINIMUM -> Math::min;
      case POWER -> (a, b) -> {
        int r = 1;
        for (int i = 0; i < b; i++) r *= a;
        return r;
      };
      case ATAN2 -> null;
      case AND -> (a, b) -> a & b;
      case OR -> (a, b) -> a | b;
      case XOR -> (a, b) -> a ^ b;
      // shift amounts outside [0, 32) shift everything out (StableHLO spec)
      case SHIFT_LEFT -> (a, b) -> Integer.compareUnsigned(b, 32) >= 0 ? 0 : a << b;
      case SHIFT_RIGHT_ARITHMETIC -> (a, b) -> Integer.compareUnsigned(b, 32) >= 0 ? (a < 0 ? -1 : 0) : a >> b;
      case SHIFT_RIGHT_LOGICAL -> (a, b) -> Integer.compareUnsigned(b, 32) >= 0 ? 0 : a >>> b;
    };
  }

  @ParameterizedTest
  @EnumSource(value = BinaryKind.class, mode = EnumSource.Mode.EXCLUDE,
      names = {"AND", "OR", "XOR", "SHIFT_LEFT", "SHIFT_RIGHT_ARITHMETIC", "SHIFT_RIGHT_LOGICAL"})
  void binaryF32(BinaryKind k) {
    runFloatBinary(k, floatSpec(k), F32, 300 + k.ordinal());
  }

  static Stream<Arguments> lowPrecisionBinary() {
    List<Arguments> a = new ArrayList<>();
    for (BinaryKind k : List.of(BinaryKind.ADD, BinaryKind.SUBTRACT, BinaryKind.MULTIPLY, BinaryKind.DIVIDE,
        BinaryKind.MAXIMUM, BinaryKind.POWER)) {
      a.add(Arguments.of(k, BF16));
      a.add(Arguments.of(k, F16));
    }
    return a.stream();
  }

  @ParameterizedTest
  @MethodSource("lowPrecisionBinary")
  void binaryLowPrecision(BinaryKind k, DType d) {
    runFloatBinary(k, floatSpec(k), d, 400 + k.ordinal());
  }

  private static void runFloatBinary(BinaryKind k, FloatBinary spec, DType d, long seed) {
    Random rnd = new Random(seed);
    float[] a = uniform(rnd, N, spec.aLo(), spec.aHi(), d);
    float[] b = uniform(rnd, N, spec.bLo(), spec.bHi(), d);
    if (spec.randomSignB()) for (int i = 0; i < N; i += 2) b[i] = -b[i];
    if (k == BinaryKind.MAXIMUM || k == BinaryKind.MINIMUM) b[0] = a[0]; // a tie
    HostTensor out = h.run1(List.of(t(d, N), t(d, N)),
        (fb, x) -> List.of(fb.emit1(new Op.Binary(k, x.get(0), x.get(1)))), tensor(d, a, N), tensor(d, b, N));
    double[] expected = new double[N];
    for (int i = 0; i < N; i++) expected[i] = round(d, (float) spec.oracle().applyAsDouble(a[i], b[i]));
    Tolerance tol = spec.transcendental() ? Tolerance.transcendental(d) : Tolerance.exact(d);
    tol.assertClose(k + " " + d.mlir(), expected, out.toFloatArray());
  }

  @ParameterizedTest
  @EnumSource(value = BinaryKind.class, mode = EnumSource.Mode.EXCLUDE, names = {"ATAN2"})
  void binaryI32(BinaryKind k) {
    IntBinaryOperator f = intSpec(k);
    Random rnd = new Random(500 + k.ordinal());
    int[] a = new int[N];
    int[] b = new int[N];
    for (int i = 0; i < N; i++) {
      switch (k) {
        case POWER -> {
          a[i] = rnd.nextInt(9) - 4;
          b[i] = rnd.nextInt(8);
        }
        case SHIFT_LEFT, SHIFT_RIGHT_ARITHMETIC, SHIFT_RIGHT_LOGICAL -> {
          a[i] = rnd.nextInt();
          b[i] = i < 8 ? new int[] {32, 33, 40, -1, Integer.MIN_VALUE, 0, 31, 1}[i] : rnd.nextInt(32);
        }
        case DIVIDE, REMAINDER -> {
          a[i] = i % 2 == 0 ? rnd.nextInt() : rnd.nextInt(201) - 100;
          do b[i] = i % 2 == 0 ? rnd.nextInt() : rnd.nextInt(21) - 10; while (b[i] == 0);
        }
        default -> {
          a[i] = i % 2 == 0 ? rnd.nextInt() : rnd.nextInt(201) - 100;
          b[i] = i % 2 == 0 ? rnd.nextInt() : rnd.nextInt(201) - 100;
        }
      }
    }
    HostTensor out = h.run1(List.of(t(I32, N), t(I32, N)),
        (fb, x) -> List.of(fb.emit1(new Op.Binary(k, x.get(0), x.get(1)))), i32(a, N), i32(b, N));
    int[] expected = new int[N];
    for (int i = 0; i < N; i++) expected[i] = f.applyAsInt(a[i], b[i]);
    assertArrayEquals(expected, out.toIntArray(), k + " i32");
  }

  /**
   * Logical ops, and add/multiply/max/min on pred, which the StableHLO spec defines as or/and/or/and.
   * TF 2.18's XLA CPU computes add on pred as xor (true + true = false).
   */
  @ParameterizedTest
  @EnumSource(value = BinaryKind.class, names = {"AND", "OR", "XOR", "ADD", "MULTIPLY", "MAXIMUM", "MINIMUM"})
  void binaryPred(BinaryKind k) {
    boolean[] a = {false, false, true, true};
    boolean[] b = {false, true, false, true};
    HostTensor out = h.run1(List.of(t(PRED, 4), t(PRED, 4)),
        (fb, x) -> List.of(fb.emit1(new Op.Binary(k, x.get(0), x.get(1)))), OpHarness.pred(a), OpHarness.pred(b));
    float[] expected = new float[4];
    for (int i = 0; i < 4; i++) {
      boolean r = switch (k) {
        case AND, MULTIPLY, MINIMUM -> a[i] & b[i];
        case OR, ADD, MAXIMUM -> a[i] | b[i];
        case XOR -> a[i] ^ b[i];
        default -> throw new AssertionError(k);
      };
      expected[i] = r ? 1 : 0;
    }
    assertArrayEquals(expected, out.toFloatArray(), k + " pred");
  }

  /**
   * StableHLO's maximum/minimum propagate NaN from either side. Fails on TF 2.18's XLA CPU unless
   * {@code XLA_FLAGS=--xla_cpu_enable_fast_min_max=false}: by default max(1, NaN) returns 1.
   */
  @Test
  void maxMinPropagateNaN() {
    float nan = Float.NaN;
    float[] a = {nan, 1f, nan, -0f};
    float[] b = {1f, nan, nan, 0f};
    List<HostTensor> out = h.run(List.of(t(F32, 4), t(F32, 4)), (fb, x) -> List.of(
        fb.emit1(new Op.Binary(BinaryKind.MAXIMUM, x.get(0), x.get(1))),
        fb.emit1(new Op.Binary(BinaryKind.MINIMUM, x.get(0), x.get(1)))), f32(a, 4), f32(b, 4));
    float[] mx = out.get(0).toFloatArray();
    float[] mn = out.get(1).toFloatArray();
    for (int i = 0; i < 3; i++) {
      assertTrue(Float.isNaN(mx[i]), "maximum with a NaN operand is NaN at " + i + ", got " + mx[i]);
      assertTrue(Float.isNaN(mn[i]), "minimum with a NaN operand is NaN at " + i + ", got " + mn[i]);
    }
    assertTrue(mx[3] == 0f && mn[3] == 0f, "max/min of -0 and +0 are zeros, got " + mx[3] + ", " + mn[3]);
  }

  // ------------------------------------------------------------------ compare, select, clamp

  static boolean compare(Comparison.Direction d, double a, double b) {
    return switch (d) {
      case EQ -> a == b;
      case NE -> a != b; // true for NaN, the IEEE unordered result
      case GE -> a >= b;
      case GT -> a > b;
      case LE -> a <= b;
      case LT -> a < b;
    };
  }

  @ParameterizedTest
  @EnumSource(Comparison.Direction.class)
  void compareFloat(Comparison.Direction dir) {
    Random rnd = new Random(600 + dir.ordinal());
    float[] a = uniform(rnd, N, -3, 3);
    float[] b = uniform(rnd, N, -3, 3);
    for (int i = 0; i < N; i += 4) b[i] = a[i]; // ties
    a[1] = Float.NaN;
    b[5] = Float.NaN;
    a[9] = -0f;
    b[9] = 0f;
    a[13] = Float.NEGATIVE_INFINITY;
    HostTensor out = h.run1(List.of(t(F32, N), t(F32, N)),
        (fb, x) -> List.of(fb.emit1(new Op.Compare(dir, Comparison.Type.FLOAT, x.get(0), x.get(1)))),
        f32(a, N), f32(b, N));
    assertEquals(PRED, out.dtype());
    float[] expected = new float[N];
    for (int i = 0; i < N; i++) expected[i] = compare(dir, a[i], b[i]) ? 1 : 0;
    assertArrayEquals(expected, out.toFloatArray(), dir + " FLOAT");
  }

  @ParameterizedTest
  @EnumSource(Comparison.Direction.class)
  void compareSigned(Comparison.Direction dir) {
    Random rnd = new Random(700 + dir.ordinal());
    int[] a = OpHarness.ints(rnd, N, -5, 5);
    int[] b = OpHarness.ints(rnd, N, -5, 5);
    a[0] = Integer.MIN_VALUE;
    b[1] = Integer.MAX_VALUE;
    a[2] = -1;
    b[2] = 1; // signed: -1 < 1 (unsigned would say otherwise)
    HostTensor out = h.run1(List.of(t(I32, N), t(I32, N)),
        (fb, x) -> List.of(fb.emit1(new Op.Compare(dir, Comparison.Type.SIGNED, x.get(0), x.get(1)))),
        i32(a, N), i32(b, N));
    float[] expected = new float[N];
    for (int i = 0; i < N; i++) expected[i] = compare(dir, a[i], b[i]) ? 1 : 0;
    assertArrayEquals(expected, out.toFloatArray(), dir + " SIGNED");
  }

  @Test
  void selectWithTensorAndScalarPred() {
    Random rnd = new Random(800);
    float[] a = uniform(rnd, 12, -5, 5);
    float[] b = uniform(rnd, 12, -5, 5);
    try (OpHarness.Compiled c = h.compile(List.of(t(F32, 3, 4), t(F32, 3, 4), scalar(PRED)), (fb, x) -> {
      Value gt = fb.emit1(new Op.Compare(Comparison.Direction.GT, Comparison.Type.FLOAT, x.get(0), x.get(1)));
      return List.of(fb.emit1(new Op.Select(gt, x.get(0), x.get(1))), fb.emit1(new Op.Select(x.get(2), x.get(0), x.get(1))));
    })) {
      for (boolean p : new boolean[] {true, false}) {
        HostTensor pr = HostTensor.of(PRED, Shape.scalar(), new float[] {p ? 1 : 0});
        List<HostTensor> out = c.run(f32(a, 3, 4), f32(b, 3, 4), pr);
        float[] max = new float[12];
        for (int i = 0; i < 12; i++) max[i] = a[i] > b[i] ? a[i] : b[i];
        assertArrayEquals(max, out.get(0).toFloatArray(), "select(a > b, a, b)");
        assertArrayEquals(p ? a : b, out.get(1).toFloatArray(), "select(scalar " + p + ", a, b)");
      }
    }
  }

  @Test
  void clampWithScalarAndTensorBounds() {
    Random rnd = new Random(900);
    float[] x = uniform(rnd, 24, -10, 10);
    float[] lo = uniform(rnd, 24, -6, -1);
    float[] hi = uniform(rnd, 24, 1, 6);
    List<HostTensor> out = h.run(List.of(t(F32, 2, 12), scalar(F32), scalar(F32), t(F32, 2, 12), t(F32, 2, 12)),
        (fb, a) -> List.of(fb.emit1(new Op.Clamp(a.get(1), a.get(0), a.get(2))),
            fb.emit1(new Op.Clamp(a.get(3), a.get(0), a.get(4)))),
        f32(x, 2, 12), HostTensor.scalar(-2.5f), HostTensor.scalar(3f), f32(lo, 2, 12), f32(hi, 2, 12));
    float[] e0 = new float[24];
    float[] e1 = new float[24];
    for (int i = 0; i < 24; i++) {
      e0[i] = Math.min(Math.max(x[i], -2.5f), 3f);
      e1[i] = Math.min(Math.max(x[i], lo[i]), hi[i]);
    }
    assertArrayEquals(e0, out.get(0).toFloatArray(), "clamp(scalar -2.5, x, scalar 3)");
    assertArrayEquals(e1, out.get(1).toFloatArray(), "clamp(lo, x, hi)");
  }

  @Test
  void clampI32() {
    int[] x = {-100, -3, 0, 3, 100, Integer.MIN_VALUE};
    HostTensor out = h.run1(List.of(t(I32, 6), scalar(I32), scalar(I32)),
        (fb, a) -> List.of(fb.emit1(new Op.Clamp(a.get(1), a.get(0), a.get(2)))),
        i32(x, 6), OpHarness.i32Scalar(-5), OpHarness.i32Scalar(5));
    assertArrayEquals(new int[] {-5, -3, 0, 3, 5, -5}, out.toIntArray());
  }
}
