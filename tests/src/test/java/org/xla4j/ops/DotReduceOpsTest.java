package org.xla4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.xla4j.ops.OpHarness.f32;
import static org.xla4j.ops.OpHarness.i32;
import static org.xla4j.ops.OpHarness.numel;
import static org.xla4j.ops.OpHarness.ravel;
import static org.xla4j.ops.OpHarness.scalar;
import static org.xla4j.ops.OpHarness.t;
import static org.xla4j.ops.OpHarness.tensor;
import static org.xla4j.ops.OpHarness.uniform;
import static org.xla4j.ops.OpHarness.unravel;
import static org.xla4j.types.DType.BF16;
import static org.xla4j.types.DType.F32;
import static org.xla4j.types.DType.I32;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Block;
import org.xla4j.ir.Comparison;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.Literal;
import org.xla4j.ir.Op;
import org.xla4j.ir.Precision;
import org.xla4j.ir.Value;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/** dot_general in its layouts and dtypes; reduce (sum, max, multi-operand argmax). */
class DotReduceOpsTest {
  static OpHarness h;

  @BeforeAll
  static void open() { h = OpHarness.cpu(); }

  @AfterAll
  static void close() { h.close(); }

  // ------------------------------------------------------------------ dot_general

  /** Result of the reference dot: values and, per element, sum|a*b| for the tolerance. */
  record DotRef(long[] dims, double[] value, double[] magnitude, int k) {}

  /** dot_general by its definition: result dims are batch..., lhs free..., rhs free... */
  static DotRef dotOracle(float[] l, long[] ld, float[] r, long[] rd, DotDims n) {
    List<Integer> lFree = new ArrayList<>();
    List<Integer> rFree = new ArrayList<>();
    for (int i = 0; i < ld.length; i++) if (!n.lhsBatch().contains(i) && !n.lhsContracting().contains(i)) lFree.add(i);
    for (int i = 0; i < rd.length; i++) if (!n.rhsBatch().contains(i) && !n.rhsContracting().contains(i)) rFree.add(i);
    List<Long> out = new ArrayList<>();
    for (int b : n.lhsBatch()) out.add(ld[b]);
    for (int i : lFree) out.add(ld[i]);
    for (int i : rFree) out.add(rd[i]);
    long[] od = out.stream().mapToLong(Long::longValue).toArray();
    long[] cd = n.lhsContracting().stream().mapToLong(i -> ld[i]).toArray();
    int k = numel(cd);
    double[] v = new double[numel(od)];
    double[] m = new double[v.length];
    for (int o = 0; o < v.length; o++) {
      int[] oi = unravel(o, od);
      int[] li = new int[ld.length];
      int[] ri = new int[rd.length];
      int p = 0;
      for (int b = 0; b < n.lhsBatch().size(); b++, p++) {
        li[n.lhsBatch().get(b)] = oi[p];
        ri[n.rhsBatch().get(b)] = oi[p];
      }
      for (int i : lFree) li[i] = oi[p++];
      for (int i : rFree) ri[i] = oi[p++];
      for (int c = 0; c < k; c++) {
        int[] ci = unravel(c, cd);
        for (int j = 0; j < ci.length; j++) {
          li[n.lhsContracting().get(j)] = ci[j];
          ri[n.rhsContracting().get(j)] = ci[j];
        }
        double prod = (double) l[ravel(li, ld)] * r[ravel(ri, rd)];
        v[o] += prod;
        m[o] += Math.abs(prod);
      }
    }
    return new DotRef(od, v, m, k);
  }

  private void checkDot(String what, DType in, DType preferred, long[] ld, long[] rd, DotDims dims, long seed) {
    Random rnd = new Random(seed);
    float[] l = uniform(rnd, numel(ld), -1, 1, in);
    float[] r = uniform(rnd, numel(rd), -1, 1, in);
    HostTensor out = h.run1(List.of(t(in, ld), t(in, rd)), (fb, a) -> List.of(fb.emit1(
        new Op.DotGeneral(a.get(0), a.get(1), dims, Precision.DEFAULT, Precision.DEFAULT, preferred))),
        tensor(in, l, ld), tensor(in, r, rd));
    DotRef ref = dotOracle(l, ld, r, rd, dims);
    DType outType = preferred == null ? in : preferred;
    assertEquals(Shape.of(ref.dims()), out.shape(), what + " shape");
    assertEquals(outType, out.dtype(), what + " dtype");
    Tolerance.dot(outType, ref.k()).assertDot(what, ref.value(), ref.magnitude(), out.toFloatArray());
  }

  @Test
  void matmul() {
    checkDot("[16,64] x [64,24]", F32, null, new long[] {16, 64}, new long[] {64, 24}, DotDims.matmul(), 1);
  }

  @Test
  void batchedMatmul() {
    checkDot("[3,8,32] x [3,32,5]", F32, null, new long[] {3, 8, 32}, new long[] {3, 32, 5},
        new DotDims(List.of(0), List.of(0), List.of(2), List.of(1)), 2);
  }

  @Test
  void contractingOnNonLastDims() {
    checkDot("[32,6] x [7,32] contracting (0, 1)", F32, null, new long[] {32, 6}, new long[] {7, 32},
        new DotDims(List.of(), List.of(), List.of(0), List.of(1)), 3);
  }

  @Test
  void batchDimInTheMiddle() {
    checkDot("[5,2,16] x [16,2,3] batch (1,1) contracting (2,0)", F32, null, new long[] {5, 2, 16},
        new long[] {16, 2, 3}, new DotDims(List.of(1), List.of(1), List.of(2), List.of(0)), 4);
  }

  @Test
  void twoContractingDims() {
    checkDot("[4,3,5] x [3,5,2] contracting (1,2)x(0,1)", F32, null, new long[] {4, 3, 5}, new long[] {3, 5, 2},
        new DotDims(List.of(), List.of(), List.of(1, 2), List.of(0, 1)), 5);
  }

  @Test
  void bf16InputsWithF32PreferredType() {
    checkDot("bf16 [8,256] x [256,8] -> f32", BF16, F32, new long[] {8, 256}, new long[] {256, 8},
        DotDims.matmul(), 6);
  }

  @Test
  void bf16BatchedWithBf16Result() {
    checkDot("bf16 [2,4,64] x [2,64,4] -> bf16", BF16, null, new long[] {2, 4, 64}, new long[] {2, 64, 4},
        new DotDims(List.of(0), List.of(0), List.of(2), List.of(1)), 7);
  }

  @Test
  void highestPrecisionMatVec() {
    Random rnd = new Random(8);
    float[] m = uniform(rnd, 6 * 40, -1, 1);
    float[] v = uniform(rnd, 40, -1, 1);
    HostTensor out = h.run1(List.of(t(F32, 6, 40), t(F32, 40)), (fb, a) -> List.of(fb.emit1(new Op.DotGeneral(
        a.get(0), a.get(1), new DotDims(List.of(), List.of(), List.of(1), List.of(0)), Precision.HIGHEST,
        Precision.HIGHEST, null))), f32(m, 6, 40), f32(v, 40));
    DotRef ref = dotOracle(m, new long[] {6, 40}, v, new long[] {40},
        new DotDims(List.of(), List.of(), List.of(1), List.of(0)));
    Tolerance.dot(F32, 40).assertDot("mat-vec", ref.value(), ref.magnitude(), out.toFloatArray());
  }

  // ------------------------------------------------------------------ reduce

  private static Block binaryRegion(FunctionBuilder fb, DType d, BinaryKind k) {
    return fb.region(List.of(scalar(d), scalar(d)), true,
        r -> List.of(fb.emit1(new Op.Binary(k, r.get(0), r.get(1)))));
  }

  private static Value constant(FunctionBuilder fb, DType d, double v) {
    return fb.emit1(new Op.Constant(Literal.splat(scalar(d), v)));
  }

  @Test
  void reduceSumOverOneAndTwoDims() {
    float[] x = uniform(new Random(10), 4 * 8 * 5, -1, 1);
    List<HostTensor> out = h.run(List.of(t(F32, 4, 8, 5)), (fb, a) -> {
      Value zero = constant(fb, F32, 0);
      return List.of(
          fb.emit1(new Op.Reduce(List.of(a.get(0)), List.of(zero), List.of(1), binaryRegion(fb, F32, BinaryKind.ADD))),
          fb.emit1(new Op.Reduce(List.of(a.get(0)), List.of(zero), List.of(0, 2), binaryRegion(fb, F32, BinaryKind.ADD))));
    }, f32(x, 4, 8, 5));
    double[] e1 = new double[20];
    double[] m1 = new double[20];
    double[] e2 = new double[8];
    double[] m2 = new double[8];
    for (int i = 0; i < x.length; i++) {
      int[] ix = unravel(i, 4, 8, 5);
      e1[ix[0] * 5 + ix[2]] += x[i];
      m1[ix[0] * 5 + ix[2]] += Math.abs(x[i]);
      e2[ix[1]] += x[i];
      m2[ix[1]] += Math.abs(x[i]);
    }
    assertEquals(Shape.of(4, 5), out.get(0).shape());
    Tolerance.dot(F32, 8).assertDot("sum over dim 1", e1, m1, out.get(0).toFloatArray());
    assertEquals(Shape.of(8), out.get(1).shape());
    Tolerance.dot(F32, 20).assertDot("sum over dims {0,2}", e2, m2, out.get(1).toFloatArray());
  }

  @Test
  void reduceMaxAndIntegerSum() {
    float[] x = uniform(new Random(11), 6 * 7, -100, 100);
    int[] y = OpHarness.ints(new Random(12), 6 * 7, -1000, 1000);
    List<HostTensor> out = h.run(List.of(t(F32, 6, 7), t(I32, 6, 7)), (fb, a) -> List.of(
        fb.emit1(new Op.Reduce(List.of(a.get(0)), List.of(constant(fb, F32, Double.NEGATIVE_INFINITY)), List.of(0),
            binaryRegion(fb, F32, BinaryKind.MAXIMUM))),
        fb.emit1(new Op.Reduce(List.of(a.get(1)), List.of(constant(fb, I32, 0)), List.of(1),
            binaryRegion(fb, I32, BinaryKind.ADD)))), f32(x, 6, 7), i32(y, 6, 7));
    float[] mx = new float[7];
    java.util.Arrays.fill(mx, Float.NEGATIVE_INFINITY);
    int[] sum = new int[6];
    for (int i = 0; i < 6; i++) {
      for (int j = 0; j < 7; j++) {
        mx[j] = Math.max(mx[j], x[i * 7 + j]);
        sum[i] += y[i * 7 + j];
      }
    }
    assertArrayEquals(mx, out.get(0).toFloatArray(), "max over dim 0");
    assertArrayEquals(sum, out.get(1).toIntArray(), "i32 sum over dim 1");
  }

  @Test
  void argmaxByMultiOperandReducePicksLowestIndexOnTies() {
    int rows = 6;
    int cols = 20;
    float[] x = new float[rows * cols];
    Random rnd = new Random(13);
    for (int i = 0; i < x.length; i++) x[i] = rnd.nextInt(5) - 2; // small integers: many ties for the max
    List<HostTensor> out = h.run(List.of(t(F32, rows, cols)), (fb, a) -> {
      Value idx = fb.emit1(new Op.Iota(t(I32, rows, cols), 1));
      Block body = fb.region(List.of(scalar(F32), scalar(I32), scalar(F32), scalar(I32)), true, r -> {
        Value gt = fb.emit1(new Op.Compare(Comparison.Direction.GT, Comparison.Type.FLOAT, r.get(0), r.get(2)));
        Value eq = fb.emit1(new Op.Compare(Comparison.Direction.EQ, Comparison.Type.FLOAT, r.get(0), r.get(2)));
        Value lower = fb.emit1(new Op.Compare(Comparison.Direction.LT, Comparison.Type.SIGNED, r.get(1), r.get(3)));
        Value tieLower = fb.emit1(new Op.Binary(BinaryKind.AND, eq, lower));
        Value first = fb.emit1(new Op.Binary(BinaryKind.OR, gt, tieLower));
        return List.of(fb.emit1(new Op.Select(first, r.get(0), r.get(2))),
            fb.emit1(new Op.Select(first, r.get(1), r.get(3))));
      });
      return fb.emit(new Op.Reduce(List.of(a.get(0), idx),
          List.of(constant(fb, F32, Double.NEGATIVE_INFINITY), constant(fb, I32, 0)), List.of(1), body));
    }, f32(x, rows, cols));
    float[] maxv = new float[rows];
    int[] argmax = new int[rows];
    for (int i = 0; i < rows; i++) {
      maxv[i] = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < cols; j++) {
        if (x[i * cols + j] > maxv[i]) { // strict: the first maximum wins
          maxv[i] = x[i * cols + j];
          argmax[i] = j;
        }
      }
    }
    assertArrayEquals(maxv, out.get(0).toFloatArray(), "max values");
    assertArrayEquals(argmax, out.get(1).toIntArray(), "argmax, lowest index among ties");
  }
}
