package org.xla4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.xla4j.ops.OpHarness.f32;
import static org.xla4j.ops.OpHarness.i32;
import static org.xla4j.ops.OpHarness.i32Scalar;
import static org.xla4j.ops.OpHarness.scalar;
import static org.xla4j.ops.OpHarness.t;
import static org.xla4j.ops.OpHarness.uniform;
import static org.xla4j.types.DType.F32;
import static org.xla4j.types.DType.I32;
import static org.xla4j.types.DType.PRED;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Block;
import org.xla4j.ir.Comparison;
import org.xla4j.ir.Func;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.Literal;
import org.xla4j.ir.Op;
import org.xla4j.ir.UnaryKind;
import org.xla4j.ir.Value;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.Shape;

/** while, if, case, func.call and optimization_barrier. */
class ControlFlowOpsTest {
  static OpHarness h;

  @BeforeAll
  static void open() { h = OpHarness.cpu(); }

  @AfterAll
  static void close() { h.close(); }

  private static Value bin(FunctionBuilder fb, BinaryKind k, Value a, Value b) {
    return fb.emit1(new Op.Binary(k, a, b));
  }

  @Test
  void whileCounterLoop() {
    float[] x = uniform(new Random(1), 5, -1, 1);
    // i = 0; acc = 0; while (i < n) { acc = acc * 0.5 + x * i; i++ }; also returns i
    try (OpHarness.Compiled c = h.compile(List.of(t(F32, 5), scalar(I32)), (fb, a) -> {
      Value zeroI = fb.emit1(new Op.Constant(Literal.splat(scalar(I32), 0)));
      Value oneI = fb.emit1(new Op.Constant(Literal.splat(scalar(I32), 1)));
      Value half = fb.emit1(new Op.Constant(Literal.splat(t(F32, 5), 0.5)));
      Value acc0 = fb.emit1(new Op.Constant(Literal.splat(t(F32, 5), 0)));
      List<org.xla4j.types.TensorType> carried = List.of(scalar(I32), t(F32, 5));
      Block cond = fb.region(carried, false, r -> List.of(
          fb.emit1(new Op.Compare(Comparison.Direction.LT, Comparison.Type.SIGNED, r.get(0), a.get(1)))));
      Block body = fb.region(carried, false, r -> {
        Value fi = fb.emit1(new Op.Convert(r.get(0), F32));
        Value xi = bin(fb, BinaryKind.MULTIPLY, a.get(0), fb.emit1(new Op.BroadcastInDim(fi, Shape.of(5), List.of())));
        Value acc = bin(fb, BinaryKind.ADD, bin(fb, BinaryKind.MULTIPLY, r.get(1), half), xi);
        return List.of(bin(fb, BinaryKind.ADD, r.get(0), oneI), acc);
      });
      return fb.emit(new Op.While(List.of(zeroI, acc0), cond, body));
    })) {
      for (int n : new int[] {0, 1, 7, 30}) {
        List<HostTensor> out = c.run(f32(x, 5), i32Scalar(n));
        float[] acc = new float[5];
        for (int i = 0; i < n; i++) for (int j = 0; j < 5; j++) acc[j] = acc[j] * 0.5f + x[j] * i;
        assertArrayEquals(new int[] {Math.max(n, 0)}, out.get(0).toIntArray(), "counter after n=" + n);
        Tolerance.exact(F32).assertClose("acc after n=" + n, OpHarness.toDouble(acc), out.get(1).toFloatArray());
      }
    }
  }

  @Test
  void ifPicksBranch() {
    float[] x = uniform(new Random(2), 4, -3, 3);
    float[] y = uniform(new Random(3), 4, -3, 3);
    try (OpHarness.Compiled c = h.compile(List.of(scalar(PRED), t(F32, 4), t(F32, 4)), (fb, a) -> {
      Block then = fb.region(List.of(), false, r -> List.of(bin(fb, BinaryKind.ADD, a.get(1), a.get(2)),
          fb.emit1(new Op.Constant(Literal.splat(scalar(I32), 1)))));
      Block other = fb.region(List.of(), false, r -> List.of(bin(fb, BinaryKind.MULTIPLY, a.get(1), a.get(2)),
          fb.emit1(new Op.Constant(Literal.splat(scalar(I32), 2)))));
      return fb.emit(new Op.If(a.get(0), then, other));
    })) {
      for (boolean p : new boolean[] {true, false}) {
        List<HostTensor> out = c.run(HostTensor.of(PRED, Shape.scalar(), new float[] {p ? 1 : 0}), f32(x, 4), f32(y, 4));
        float[] e = new float[4];
        for (int i = 0; i < 4; i++) e[i] = p ? x[i] + y[i] : x[i] * y[i];
        assertArrayEquals(e, out.get(0).toFloatArray(), "if " + p);
        assertArrayEquals(new int[] {p ? 1 : 2}, out.get(1).toIntArray(), "if " + p + " second result");
      }
    }
  }

  @Test
  void caseClampsOutOfRangeIndexToLastBranch() {
    float[] x = uniform(new Random(4), 6, -3, 3);
    try (OpHarness.Compiled c = h.compile(List.of(scalar(I32), t(F32, 6)), (fb, a) -> {
      Value one = fb.emit1(new Op.Constant(Literal.splat(t(F32, 6), 1)));
      Block b0 = fb.region(List.of(), false, r -> List.of(bin(fb, BinaryKind.ADD, a.get(1), one)));
      Block b1 = fb.region(List.of(), false, r -> List.of(bin(fb, BinaryKind.ADD, a.get(1), a.get(1))));
      Block b2 = fb.region(List.of(), false, r -> List.of(fb.emit1(new Op.Unary(UnaryKind.NEGATE, a.get(1)))));
      return List.of(fb.emit1(new Op.Case(a.get(0), List.of(b0, b1, b2))));
    })) {
      for (int idx : new int[] {0, 1, 2, 3, -1, 100, Integer.MIN_VALUE}) {
        int branch = idx < 0 || idx >= 3 ? 2 : idx; // StableHLO: out-of-range index runs the last branch
        float[] e = new float[6];
        for (int i = 0; i < 6; i++) e[i] = branch == 0 ? x[i] + 1 : branch == 1 ? x[i] + x[i] : -x[i];
        assertArrayEquals(e, c.run1(i32Scalar(idx), f32(x, 6)).toFloatArray(), "case index " + idx);
      }
    }
  }

  @Test
  void funcCall() {
    float[] a = uniform(new Random(5), 3, -2, 2);
    float[] b = uniform(new Random(6), 3, -2, 2);
    List<HostTensor> out;
    try (OpHarness.Compiled c = h.compile(List.of(t(F32, 3), t(F32, 3)), (mb, fb, x) -> {
      // square(v) = v * v;  f(v, w) = square(v) * w + v;  main = f(f(a, b), b), and square(b)
      FunctionBuilder sq = mb.function("square");
      Value sv = sq.arg(t(F32, 3));
      Func square = sq.ret(bin(sq, BinaryKind.MULTIPLY, sv, sv));
      FunctionBuilder f = mb.function("f");
      Value v = f.arg(t(F32, 3));
      Value w = f.arg(t(F32, 3));
      Value v2 = f.emit(mb.call(square, List.of(v))).get(0);
      Func fn = f.ret(bin(f, BinaryKind.ADD, bin(f, BinaryKind.MULTIPLY, v2, w), v));
      Value once = fb.emit(mb.call(fn, List.of(x.get(0), x.get(1)))).get(0);
      Value twice = fb.emit(mb.call(fn, List.of(once, x.get(1)))).get(0);
      return List.of(twice, fb.emit(mb.call(square, List.of(x.get(1)))).get(0));
    })) {
      out = c.run(f32(a, 3), f32(b, 3));
    }
    double[] e = new double[3];
    double[] sq = new double[3];
    for (int i = 0; i < 3; i++) {
      float once = a[i] * a[i] * b[i] + a[i];
      e[i] = once * once * b[i] + once;
      sq[i] = b[i] * b[i];
    }
    Tolerance.exact(F32).assertClose("f(f(a,b),b)", e, out.get(0).toFloatArray());
    Tolerance.exact(F32).assertClose("square(b)", sq, out.get(1).toFloatArray());
  }

  @Test
  void optimizationBarrierIsIdentity() {
    float[] x = uniform(new Random(7), 8, -5, 5);
    int[] y = {3, -1, 4, 1};
    List<HostTensor> out = h.run(List.of(t(F32, 2, 4), t(I32, 4)), (fb, a) -> {
      List<Value> b = fb.emit(new Op.OptimizationBarrier(List.of(a.get(0), a.get(1))));
      return List.of(b.get(0), b.get(1), bin(fb, BinaryKind.ADD, b.get(0), b.get(0)));
    }, f32(x, 2, 4), i32(y, 4));
    assertArrayEquals(x, out.get(0).toFloatArray());
    assertArrayEquals(y, out.get(1).toIntArray());
    float[] twice = new float[8];
    for (int i = 0; i < 8; i++) twice[i] = x[i] + x[i];
    assertArrayEquals(twice, out.get(2).toFloatArray());
  }
}
