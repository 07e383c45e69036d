package org.xla4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xla4j.ops.OpHarness.f32;
import static org.xla4j.ops.OpHarness.i32;
import static org.xla4j.ops.OpHarness.t;
import static org.xla4j.ops.OpHarness.tensor;
import static org.xla4j.ops.OpHarness.uniform;
import static org.xla4j.types.DType.BF16;
import static org.xla4j.types.DType.F16;
import static org.xla4j.types.DType.F32;
import static org.xla4j.types.DType.F64;
import static org.xla4j.types.DType.I16;
import static org.xla4j.types.DType.I32;
import static org.xla4j.types.DType.I64;
import static org.xla4j.types.DType.PRED;
import static org.xla4j.types.DType.U32;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.ir.Literal;
import org.xla4j.ir.Op;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.HalfFloats;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/** convert (with its rounding), bitcast_convert and constants on the CPU backend. */
class ConvertConstantOpsTest {
  static OpHarness h;

  @BeforeAll
  static void open() { h = OpHarness.cpu(); }

  @AfterAll
  static void close() { h.close(); }

  private static HostTensor convert(HostTensor x, DType to) {
    return h.run1(List.of(x.type()), (fb, a) -> List.of(fb.emit1(new Op.Convert(a.get(0), to))), x);
  }

  private static short[] shorts(HostTensor x) {
    ByteBuffer b = x.byteBuffer();
    short[] s = new short[b.remaining() / 2];
    for (int i = 0; i < s.length; i++) s[i] = b.getShort();
    return s;
  }

  /** f32 values with random ones plus the rounding edge cases of a 16-bit target. */
  private static float[] withEdges(float[] edges) {
    float[] rnd = uniform(new Random(1000), 200, -1000, 1000);
    float[] x = Arrays.copyOf(rnd, rnd.length + edges.length);
    System.arraycopy(edges, 0, x, rnd.length, edges.length);
    return x;
  }

  @Test
  void f32ToBf16RoundsToNearestEven() {
    float[] x = withEdges(new float[] {
        Float.intBitsToFloat(0x3F808000), // exactly halfway 0x3F80|0x3F81: stays even 0x3F80
        Float.intBitsToFloat(0x3F818000), // halfway 0x3F81|0x3F82: up to even 0x3F82
        Float.intBitsToFloat(0x3F808001), // just above halfway: up
        Float.intBitsToFloat(0xBF818000), // negative tie: to even
        Float.MAX_VALUE, // rounds up to +inf
        Float.MIN_VALUE, 0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-39f});
    HostTensor out = convert(f32(x, x.length), BF16);
    short[] bits = shorts(out);
    for (int i = 0; i < x.length; i++) {
      assertEquals(HalfFloats.floatToBf16(x[i]), bits[i], "bf16 bits of " + x[i] + " (0x"
          + Integer.toHexString(Float.floatToRawIntBits(x[i])) + ")");
    }
    assertEquals((short) 0x3F80, bits[200]);
    assertEquals((short) 0x3F82, bits[201]);
    assertEquals((short) 0x3F81, bits[202]);
    assertEquals((short) 0x7F80, bits[204], "max float -> +inf");
    float[] nan = {Float.NaN};
    assertTrue(Float.isNaN(convert(f32(nan, 1), BF16).toFloatArray()[0]), "NaN stays NaN");
  }

  @Test
  void f32ToF16RoundsToNearestEvenWithSubnormalsAndOverflow() {
    float[] x = withEdges(new float[] {
        2049f, // tie between 2048 and 2050: to even 2048
        2051f, // tie between 2050 and 2052: to even 2052
        65504f, // max f16
        65519f, // below the tie with 65536: stays 65504
        65520f, // tie: rounds to +inf
        70000f, -70000f, 1e-6f, 6e-8f, 2.9e-8f, // subnormals and underflow to 0
        0.1f, -0f});
    HostTensor out = convert(f32(x, x.length), F16);
    short[] bits = shorts(out);
    for (int i = 0; i < x.length; i++) {
      assertEquals(HalfFloats.floatToF16(x[i]), bits[i], "f16 bits of " + x[i]);
    }
    float[] back = out.toFloatArray();
    assertEquals(2048f, back[200]);
    assertEquals(2052f, back[201]);
    assertEquals(65504f, back[203]);
    assertEquals(Float.POSITIVE_INFINITY, back[204]);
    assertEquals(Float.NEGATIVE_INFINITY, back[206]);
  }

  @Test
  void halfFloatsWidenExactly() {
    float[] x = uniform(new Random(1001), 128, -300, 300);
    for (DType d : List.of(BF16, F16)) {
      HostTensor in = tensor(d, x, x.length); // rounds to d on the host
      HostTensor out = convert(in, F32);
      assertArrayEquals(in.toFloatArray(), out.toFloatArray(), d + " -> f32 is exact");
    }
  }

  @Test
  void f16ToBf16Rounds() {
    float[] x = uniform(new Random(1002), 128, -300, 300, F16);
    short[] bits = shorts(convert(tensor(F16, x, x.length), BF16));
    for (int i = 0; i < x.length; i++) assertEquals(HalfFloats.floatToBf16(x[i]), bits[i], "f16 " + x[i] + " -> bf16");
  }

  @Test
  void f32ToI32TruncatesTowardZero() {
    float[] x = {-0.9f, 0.9f, 2.9999f, -2.5f, 1e9f, -1e9f, 123456.7f, 0f, -7f};
    Random rnd = new Random(1003);
    float[] all = Arrays.copyOf(x, 100);
    for (int i = x.length; i < all.length; i++) all[i] = (float) ((rnd.nextDouble() - 0.5) * 2e6);
    int[] expected = new int[all.length];
    for (int i = 0; i < all.length; i++) expected[i] = (int) all[i];
    assertArrayEquals(expected, convert(f32(all, all.length), I32).toIntArray());
  }

  @Test
  void i32ToF32RoundsToNearestEven() {
    int[] x = {16777217, 16777219, -16777217, Integer.MAX_VALUE, Integer.MIN_VALUE, 0, -1, 123456789};
    float[] expected = new float[x.length];
    for (int i = 0; i < x.length; i++) expected[i] = (float) x[i]; // Java's int->float is round-to-nearest-even
    assertArrayEquals(expected, convert(i32(x, x.length), F32).toFloatArray());
    assertEquals(16777216f, expected[0]);
    assertEquals(16777220f, expected[1]);
  }

  @Test
  void predConversions() {
    float[] x = {0f, -0f, 1f, -3.5f, 1e-30f, Float.NaN};
    assertArrayEquals(new float[] {0, 0, 1, 1, 1, 1}, convert(f32(x, x.length), PRED).toFloatArray(), "f32 -> pred is x != 0");
    HostTensor p = OpHarness.pred(true, false, true);
    assertArrayEquals(new float[] {1, 0, 1}, convert(p, F32).toFloatArray(), "pred -> f32");
    assertArrayEquals(new int[] {1, 0, 1}, convert(p, I32).toIntArray(), "pred -> i32");
  }

  @Test
  void integerWidthChanges() {
    int[] x = {-1, 0, 7, Integer.MIN_VALUE, Integer.MAX_VALUE};
    assertArrayEquals(new long[] {-1, 0, 7, Integer.MIN_VALUE, Integer.MAX_VALUE},
        convert(i32(x, x.length), I64).toLongArray(), "i32 -> i64 sign-extends");
    long[] w = {(1L << 32) + 5, -1, 1L << 31, 0x1234_5678_9ABCL};
    assertArrayEquals(new int[] {5, -1, Integer.MIN_VALUE, 0x5678_9ABC},
        convert(HostTensor.ofLongs(w, w.length), I32).toIntArray(), "i64 -> i32 keeps the low 32 bits");
  }

  @Test
  void f32AndF64() {
    double[] x = {0.1, 1.0 / 3, 1e300, -1e-300, Math.PI};
    HostTensor out = convert(HostTensor.ofDoubles(x, x.length), F32);
    float[] expected = new float[x.length];
    for (int i = 0; i < x.length; i++) expected[i] = (float) x[i];
    assertArrayEquals(expected, out.toFloatArray(), "f64 -> f32 rounds to nearest (1e300 -> inf)");
    // not Float.MIN_VALUE: TensorFlow runs XLA CPU code with denormals flushed to zero, so a subnormal
    // f32 becomes 0.0 in f64 (seen with TF 2.18)
    float[] y = {0.1f, -3.25f, Float.MIN_NORMAL};
    double[] back = convert(f32(y, 3), F64).toDoubleArray();
    for (int i = 0; i < 3; i++) assertEquals((double) y[i], back[i], "f32 -> f64 is exact");
  }

  // ------------------------------------------------------------------ bitcast_convert

  @Test
  void bitcastSameWidthKeepsBits() {
    float[] x = {1f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, -123.456f};
    HostTensor in = f32(x, x.length);
    List<HostTensor> out = h.run(List.of(t(F32, x.length)), (fb, a) -> List.of(
        fb.emit1(new Op.BitcastConvert(a.get(0), t(I32, x.length))),
        fb.emit1(new Op.BitcastConvert(a.get(0), t(U32, x.length)))), in);
    int[] expected = new int[x.length];
    for (int i = 0; i < x.length; i++) expected[i] = Float.floatToRawIntBits(x[i]);
    assertArrayEquals(expected, out.get(0).toIntArray(), "f32 -> i32");
    assertEquals(0x3F800000, out.get(0).toIntArray()[0]);
    assertArrayEquals(in.bytes(), out.get(1).bytes(), "f32 -> ui32 bytes");
    assertEquals(0x8000_0000L, out.get(1).toLongArray()[1], "ui32 reads unsigned");
    int[] bits = {0x3F800000, 0xC0490FDB, 0x7F800000, 1};
    HostTensor back = h.run1(List.of(t(I32, 4)),
        (fb, a) -> List.of(fb.emit1(new Op.BitcastConvert(a.get(0), t(F32, 4)))), i32(bits, 4));
    assertArrayEquals(new float[] {1f, Float.intBitsToFloat(0xC0490FDB), Float.POSITIVE_INFINITY, Float.MIN_VALUE},
        back.toFloatArray(), "i32 -> f32");
  }

  @Test
  void bitcastToNarrowerTypeAddsMinorDimensionLowHalfFirst() {
    float[] x = uniform(new Random(1004), 8, -100, 100);
    long[] w = {0x1122_3344_5566_7788L, -2};
    List<HostTensor> out = h.run(List.of(t(F32, 8), t(I64, 2)), (fb, a) -> List.of(
        fb.emit1(new Op.BitcastConvert(a.get(0), t(BF16, 8, 2))),
        fb.emit1(new Op.BitcastConvert(a.get(1), t(I32, 2, 2)))), f32(x, 8), HostTensor.ofLongs(w, 2));
    short[] halves = shorts(out.get(0));
    for (int i = 0; i < 8; i++) {
      int bits = Float.floatToRawIntBits(x[i]);
      assertEquals((short) bits, halves[2 * i], "low half of " + x[i]);
      assertEquals((short) (bits >>> 16), halves[2 * i + 1], "high half of " + x[i] + " (= bf16 truncation)");
    }
    assertArrayEquals(new int[] {0x5566_7788, 0x1122_3344, -2, -1}, out.get(1).toIntArray(), "i64 -> i32[2,2]");
  }

  @Test
  void bitcastToWiderTypeDropsMinorDimension() {
    float[] x = uniform(new Random(1005), 6, -100, 100);
    HostTensor in = f32(x, 6);
    HostTensor halves = h.run1(List.of(t(F32, 6)),
        (fb, a) -> List.of(fb.emit1(new Op.BitcastConvert(a.get(0), t(I16, 6, 2)))), in);
    HostTensor back = h.run1(List.of(t(I16, 6, 2)),
        (fb, a) -> List.of(fb.emit1(new Op.BitcastConvert(a.get(0), t(F32, 6)))), halves);
    assertArrayEquals(x, back.toFloatArray(), "f32 -> i16[6,2] -> f32 round trip");
  }

  // ------------------------------------------------------------------ constants

  @Test
  void denseAndSplatConstants() {
    float nan = Float.NaN;
    float inf = Float.POSITIVE_INFINITY;
    double[] f = {1.5, -0.0, nan, inf, -inf, 1e-45, 3.4e38, 0.1};
    double[] b = {1.5, -2.25, 0.1, 65504, -1e30, nan};
    long[] big = {(1L << 40) + 1, Long.MIN_VALUE, -1};
    List<HostTensor> out = h.run(List.of(), (fb, a) -> List.of(
        fb.emit1(new Op.Constant(Literal.of(t(F32, 2, 4), f))),
        fb.emit1(new Op.Constant(Literal.of(t(BF16, 6), b))),
        fb.emit1(new Op.Constant(Literal.of(t(F16, 3), 0.1, 65504, -6e-8))),
        fb.emit1(new Op.Constant(Literal.of(t(I32, 4), Integer.MIN_VALUE, Integer.MAX_VALUE, -1, 0))),
        fb.emit1(new Op.Constant(Literal.ofLongs(t(I64, 3), big))),
        fb.emit1(new Op.Constant(Literal.of(t(PRED, 2, 2), 1, 0, 0, 1))),
        fb.emit1(new Op.Constant(Literal.of(t(F64, 2), Math.PI, -1e300))),
        fb.emit1(new Op.Constant(Literal.splat(t(F32, 3, 2), 2.5))),
        fb.emit1(new Op.Constant(Literal.splat(t(I32, 5), -7))),
        fb.emit1(new Op.Constant(Literal.splat(t(F32, 2), Double.NaN))),
        fb.emit1(new Op.Constant(Literal.splat(t(BF16, 2), Double.NEGATIVE_INFINITY))),
        fb.emit1(new Op.Constant(Literal.splat(TensorType.scalar(F32), -0.0))),
        fb.emit1(new Op.Constant(Literal.splat(t(PRED, 3), 1)))));
    float[] f32 = new float[f.length];
    for (int i = 0; i < f.length; i++) f32[i] = (float) f[i];
    assertArrayEquals(f32, out.get(0).toFloatArray(), "dense f32 with -0, NaN, +-inf, subnormal");
    float[] bf = new float[b.length];
    for (int i = 0; i < b.length; i++) bf[i] = OpHarness.round(BF16, (float) b[i]);
    assertArrayEquals(bf, out.get(1).toFloatArray(), "dense bf16");
    assertArrayEquals(new float[] {OpHarness.round(F16, 0.1f), 65504f, OpHarness.round(F16, -6e-8f)},
        out.get(2).toFloatArray(), "dense f16");
    assertArrayEquals(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE, -1, 0}, out.get(3).toIntArray(), "dense i32");
    assertArrayEquals(big, out.get(4).toLongArray(), "dense i64, exact beyond 2^53");
    assertArrayEquals(new float[] {1, 0, 0, 1}, out.get(5).toFloatArray(), "dense pred");
    assertArrayEquals(new double[] {Math.PI, -1e300}, out.get(6).toDoubleArray(), "dense f64");
    float[] splat = new float[6];
    Arrays.fill(splat, 2.5f);
    assertArrayEquals(splat, out.get(7).toFloatArray(), "splat f32");
    assertArrayEquals(new int[] {-7, -7, -7, -7, -7}, out.get(8).toIntArray(), "splat i32");
    assertArrayEquals(new float[] {nan, nan}, out.get(9).toFloatArray(), "splat NaN");
    assertArrayEquals(new float[] {-inf, -inf}, out.get(10).toFloatArray(), "splat bf16 -inf");
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(out.get(11).toFloatArray()[0]), "scalar -0");
    assertEquals(Shape.scalar(), out.get(11).shape());
    assertArrayEquals(new float[] {1, 1, 1}, out.get(12).toFloatArray(), "splat pred");
  }
}
