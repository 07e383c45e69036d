package org.xla4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.xla4j.ops.OpHarness.f32;
import static org.xla4j.ops.OpHarness.i32;
import static org.xla4j.ops.OpHarness.i32Scalar;
import static org.xla4j.ops.OpHarness.numel;
import static org.xla4j.ops.OpHarness.ravel;
import static org.xla4j.ops.OpHarness.scalar;
import static org.xla4j.ops.OpHarness.t;
import static org.xla4j.ops.OpHarness.uniform;
import static org.xla4j.ops.OpHarness.unravel;
import static org.xla4j.types.DType.BF16;
import static org.xla4j.types.DType.F32;
import static org.xla4j.types.DType.I32;
import static org.xla4j.types.DType.I64;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.ir.Op;
import org.xla4j.ir.Value;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.Shape;

/** Data movement: broadcast_in_dim, reshape, transpose, slices, concatenate, pad, reverse, iota. Exact. */
class ShapeOpsTest {
  static OpHarness h;

  @BeforeAll
  static void open() { h = OpHarness.cpu(); }

  @AfterAll
  static void close() { h.close(); }

  private static float[] data(long seed, long... dims) { return uniform(new Random(seed), numel(dims), -10, 10); }

  @Test
  void broadcastInDim() {
    float[] x = data(1, 3, 1);
    float[] y = data(2, 4, 3);
    List<HostTensor> out = h.run(List.of(t(F32, 3, 1), t(F32, 4, 3), OpHarness.scalar(F32)), (fb, a) -> List.of(
        fb.emit1(new Op.BroadcastInDim(a.get(0), Shape.of(2, 3, 4), List.of(1, 2))),
        fb.emit1(new Op.BroadcastInDim(a.get(1), Shape.of(3, 5, 4), List.of(2, 0))), // dims out of order
        fb.emit1(new Op.BroadcastInDim(a.get(2), Shape.of(2, 2), List.of()))),
        f32(x, 3, 1), f32(y, 4, 3), HostTensor.scalar(7.5f));
    float[] e0 = new float[24];
    for (int o = 0; o < 24; o++) e0[o] = x[unravel(o, 2, 3, 4)[1]]; // operand dim 1 has size 1
    assertArrayEquals(e0, out.get(0).toFloatArray(), "[3,1] -> [2,3,4] dims [1,2]");
    float[] e1 = new float[60];
    for (int o = 0; o < 60; o++) {
      int[] i = unravel(o, 3, 5, 4);
      e1[o] = y[ravel(new int[] {i[2], i[0]}, 4, 3)];
    }
    assertArrayEquals(e1, out.get(1).toFloatArray(), "[4,3] -> [3,5,4] dims [2,0]");
    assertArrayEquals(new float[] {7.5f, 7.5f, 7.5f, 7.5f}, out.get(2).toFloatArray(), "scalar -> [2,2]");
  }

  @Test
  void reshapeKeepsRowMajorOrder() {
    float[] x = data(3, 2, 3, 4);
    List<HostTensor> out = h.run(List.of(t(F32, 2, 3, 4), t(F32, 1, 1)), (fb, a) -> List.of(
        fb.emit1(new Op.Reshape(a.get(0), Shape.of(4, 6))),
        fb.emit1(new Op.Reshape(a.get(0), Shape.of(24))),
        fb.emit1(new Op.Reshape(a.get(1), Shape.scalar()))), f32(x, 2, 3, 4), f32(new float[] {-3f}, 1, 1));
    assertArrayEquals(x, out.get(0).toFloatArray());
    assertEquals(Shape.of(4, 6), out.get(0).shape());
    assertArrayEquals(x, out.get(1).toFloatArray());
    assertArrayEquals(new float[] {-3f}, out.get(2).toFloatArray());
    assertEquals(Shape.scalar(), out.get(2).shape());
  }

  @Test
  void transpose() {
    float[] x = data(4, 2, 3, 4);
    List<Integer> perm = List.of(2, 0, 1);
    HostTensor out = h.run1(List.of(t(F32, 2, 3, 4)), (fb, a) -> List.of(fb.emit1(new Op.Transpose(a.get(0), perm))),
        f32(x, 2, 3, 4));
    assertEquals(Shape.of(4, 2, 3), out.shape());
    float[] e = new float[24];
    for (int o = 0; o < 24; o++) {
      int[] oi = unravel(o, 4, 2, 3);
      int[] src = new int[3];
      for (int d = 0; d < 3; d++) src[perm.get(d)] = oi[d];
      e[o] = x[ravel(src, 2, 3, 4)];
    }
    assertArrayEquals(e, out.toFloatArray());
  }

  @Test
  void sliceWithStrides() {
    float[] x = data(5, 7, 9);
    HostTensor out = h.run1(List.of(t(F32, 7, 9)), (fb, a) -> List.of(fb.emit1(new Op.Slice(a.get(0),
        List.of(1L, 2L), List.of(7L, 9L), List.of(2L, 3L)))), f32(x, 7, 9));
    assertEquals(Shape.of(3, 3), out.shape());
    float[] e = new float[9];
    for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) e[i * 3 + j] = x[(1 + 2 * i) * 9 + 2 + 3 * j];
    assertArrayEquals(e, out.toFloatArray());
  }

  @Test
  void dynamicSliceClampsStartIndices() {
    float[] x = data(6, 6, 8);
    int[][] starts = {{1, 2}, {-2, 3}, {5, 7}, {100, -100}, {3, 4}};
    try (OpHarness.Compiled c = h.compile(List.of(t(F32, 6, 8), scalar(I32), scalar(I32)), (fb, a) ->
        List.of(fb.emit1(new Op.DynamicSlice(a.get(0), List.of(a.get(1), a.get(2)), List.of(3L, 4L)))))) {
      for (int[] s : starts) {
        // StableHLO: each start is clamped to [0, dim - size]
        int r0 = Math.clamp(s[0], 0, 6 - 3);
        int c0 = Math.clamp(s[1], 0, 8 - 4);
        float[] e = new float[12];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) e[i * 4 + j] = x[(r0 + i) * 8 + c0 + j];
        assertArrayEquals(e, c.run1(f32(x, 6, 8), i32Scalar(s[0]), i32Scalar(s[1])).toFloatArray(),
            "dynamic_slice at (" + s[0] + ", " + s[1] + ") -> (" + r0 + ", " + c0 + ")");
      }
    }
  }

  @Test
  void dynamicSliceWithI64Indices() {
    int[] x = new int[20];
    for (int i = 0; i < 20; i++) x[i] = i * 10;
    HostTensor out = h.run1(List.of(t(I32, 20), scalar(I64)), (fb, a) ->
        List.of(fb.emit1(new Op.DynamicSlice(a.get(0), List.of(a.get(1)), List.of(5L)))),
        i32(x, 20), HostTensor.ofLongs(new long[] {17}));
    assertArrayEquals(new int[] {150, 160, 170, 180, 190}, out.toIntArray(), "start 17 clamps to 15");
  }

  @Test
  void dynamicUpdateSliceClampsStartIndices() {
    float[] x = data(7, 5, 6);
    float[] u = data(8, 2, 3);
    int[][] starts = {{1, 2}, {4, 5}, {-1, -1}, {3, 3}};
    try (OpHarness.Compiled c = h.compile(List.of(t(F32, 5, 6), t(F32, 2, 3), scalar(I32), scalar(I32)), (fb, a) ->
        List.of(fb.emit1(new Op.DynamicUpdateSlice(a.get(0), a.get(1), List.of(a.get(2), a.get(3))))))) {
      for (int[] s : starts) {
        int r0 = Math.clamp(s[0], 0, 5 - 2);
        int c0 = Math.clamp(s[1], 0, 6 - 3);
        float[] e = x.clone();
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) e[(r0 + i) * 6 + c0 + j] = u[i * 3 + j];
        assertArrayEquals(e, c.run1(f32(x, 5, 6), f32(u, 2, 3), i32Scalar(s[0]), i32Scalar(s[1])).toFloatArray(),
            "dynamic_update_slice at (" + s[0] + ", " + s[1] + ") -> (" + r0 + ", " + c0 + ")");
      }
    }
  }

  @Test
  void concatenate() {
    float[] a = data(9, 2, 3);
    float[] b = data(10, 2, 1);
    float[] c = data(11, 2, 4);
    List<HostTensor> out = h.run(List.of(t(F32, 2, 3), t(F32, 2, 1), t(F32, 2, 4), t(I32, 2), t(I32, 3)), (fb, x) ->
        List.of(fb.emit1(new Op.Concatenate(List.of(x.get(0), x.get(1), x.get(2)), 1)),
            fb.emit1(new Op.Concatenate(List.of(x.get(3), x.get(4), x.get(3)), 0))),
        f32(a, 2, 3), f32(b, 2, 1), f32(c, 2, 4), i32(new int[] {1, 2}, 2), i32(new int[] {3, 4, 5}, 3));
    float[] e = new float[16];
    for (int r = 0; r < 2; r++) {
      for (int j = 0; j < 8; j++) e[r * 8 + j] = j < 3 ? a[r * 3 + j] : j < 4 ? b[r] : c[r * 4 + j - 4];
    }
    assertArrayEquals(e, out.get(0).toFloatArray(), "along dim 1");
    assertArrayEquals(new int[] {1, 2, 3, 4, 5, 1, 2}, out.get(1).toIntArray(), "along dim 0, an input twice");
  }

  /** Reference pad: out[o] = x[p / (interior+1)] where p = o - low is on the interior-stretched grid. */
  static float[] padOracle(float[] x, long[] dims, long[] lo, long[] hi, long[] in, float value, long[] outDims) {
    float[] out = new float[numel(outDims)];
    for (int o = 0; o < out.length; o++) {
      int[] oi = unravel(o, outDims);
      int[] src = new int[dims.length];
      boolean inside = true;
      for (int d = 0; d < dims.length && inside; d++) {
        long p = oi[d] - lo[d];
        long step = in[d] + 1;
        inside = p >= 0 && p <= (dims[d] - 1) * step && p % step == 0;
        src[d] = (int) (p / step);
      }
      out[o] = inside ? x[ravel(src, dims)] : value;
    }
    return out;
  }

  @Test
  void padWithNegativeEdgesAndInterior() {
    float[] x = data(12, 3, 4);
    long[] lo = {-1, 2};
    long[] hi = {2, -1};
    long[] in = {1, 2};
    HostTensor out = h.run1(List.of(t(F32, 3, 4), scalar(F32)), (fb, a) -> List.of(fb.emit1(new Op.Pad(a.get(0),
        a.get(1), List.of(lo[0], lo[1]), List.of(hi[0], hi[1]), List.of(in[0], in[1])))),
        f32(x, 3, 4), HostTensor.scalar(-99f));
    // dim 0: 3 + 2 interior - 1 + 2 = 6; dim 1: 4 + 6 interior + 2 - 1 = 11
    assertEquals(Shape.of(6, 11), out.shape());
    assertArrayEquals(padOracle(x, new long[] {3, 4}, lo, hi, in, -99f, new long[] {6, 11}), out.toFloatArray());
  }

  @Test
  void padBf16() {
    float[] x = uniform(new Random(13), 5, -10, 10, BF16);
    HostTensor out = h.run1(List.of(t(BF16, 5), scalar(BF16)), (fb, a) -> List.of(fb.emit1(new Op.Pad(a.get(0),
        a.get(1), List.of(2L), List.of(-2L), List.of(0L)))), OpHarness.tensor(BF16, x, 5),
        OpHarness.tensor(BF16, new float[] {0.5f}));
    assertArrayEquals(new float[] {0.5f, 0.5f, x[0], x[1], x[2]}, out.toFloatArray());
  }

  @Test
  void reverse() {
    float[] x = data(14, 2, 3, 4);
    HostTensor out = h.run1(List.of(t(F32, 2, 3, 4)),
        (fb, a) -> List.of(fb.emit1(new Op.Reverse(a.get(0), List.of(0, 2)))), f32(x, 2, 3, 4));
    float[] e = new float[24];
    for (int o = 0; o < 24; o++) {
      int[] i = unravel(o, 2, 3, 4);
      e[o] = x[ravel(new int[] {1 - i[0], i[1], 3 - i[2]}, 2, 3, 4)];
    }
    assertArrayEquals(e, out.toFloatArray());
  }

  @Test
  void iota() {
    List<HostTensor> out = h.run(List.of(), (fb, a) -> List.of(
        fb.emit1(new Op.Iota(t(F32, 3, 4), 0)),
        fb.emit1(new Op.Iota(t(F32, 3, 4), 1)),
        fb.emit1(new Op.Iota(t(I32, 2, 3, 4), 2)),
        fb.emit1(new Op.Iota(t(BF16, 300), 0))));
    float[] e0 = new float[12];
    float[] e1 = new float[12];
    for (int i = 0; i < 12; i++) {
      e0[i] = i / 4;
      e1[i] = i % 4;
    }
    assertArrayEquals(e0, out.get(0).toFloatArray(), "dim 0");
    assertArrayEquals(e1, out.get(1).toFloatArray(), "dim 1");
    int[] e2 = new int[24];
    for (int i = 0; i < 24; i++) e2[i] = i % 4;
    assertArrayEquals(e2, out.get(2).toIntArray(), "i32 dim 2");
    float[] e3 = new float[300];
    for (int i = 0; i < 300; i++) e3[i] = OpHarness.round(BF16, i); // 257 is not a bf16: rounds to 256
    assertArrayEquals(e3, out.get(3).toFloatArray(), "bf16 counts rounded to bf16");
  }

  @Test
  void sliceAfterBroadcastFusesCorrectly() {
    // a few ops together, as XLA fuses them: broadcast, add, slice, reshape
    float[] x = data(15, 4);
    float[] y = data(16, 3, 4);
    HostTensor out = h.run1(List.of(t(F32, 4), t(F32, 3, 4)), (fb, a) -> {
      Value b = fb.emit1(new Op.BroadcastInDim(a.get(0), Shape.of(3, 4), List.of(1)));
      Value s = fb.emit1(new Op.Binary(org.xla4j.ir.BinaryKind.ADD, b, a.get(1)));
      Value sl = fb.emit1(new Op.Slice(s, List.of(1L, 0L), List.of(3L, 4L), List.of(1L, 2L)));
      return List.of(fb.emit1(new Op.Reshape(sl, Shape.of(4))));
    }, f32(x, 4), f32(y, 3, 4));
    float[] e = {x[0] + y[4], x[2] + y[6], x[0] + y[8], x[2] + y[10]};
    assertArrayEquals(e, out.toFloatArray());
  }
}
