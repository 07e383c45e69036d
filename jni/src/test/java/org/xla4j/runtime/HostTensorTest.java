package org.xla4j.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

class HostTensorTest {
  @Test
  void f32FactoryAndReaders() {
    HostTensor x = HostTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    assertEquals(TensorType.of(DType.F32, 2, 3), x.type());
    assertEquals(6f, x.getFloat(1, 2));
    assertEquals(2f, x.getFloat(0, 1));
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, x.toFloatArray());
    assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6}, x.toIntArray());
    ByteBuffer bb = x.byteBuffer();
    assertEquals(ByteOrder.LITTLE_ENDIAN, bb.order());
    assertEquals(Float.floatToIntBits(1f), bb.getInt(0));
    assertEquals(0x3F800000, ByteBuffer.wrap(x.bytes()).order(ByteOrder.LITTLE_ENDIAN).getInt());
    assertThrows(ReadOnlyBufferException.class, () -> bb.put(0, (byte) 1));
  }

  @Test
  void bytesAreCopiedBothWays() {
    byte[] raw = {1, 0, 0, 0, 2, 0, 0, 0};
    HostTensor t = HostTensor.ofBytes(DType.I32, Shape.of(2), raw);
    raw[0] = 9;
    assertArrayEquals(new int[] {1, 2}, t.toIntArray());
    t.bytes()[0] = 9;
    assertArrayEquals(new int[] {1, 2}, t.toIntArray());
  }

  @Test
  void sizeMismatchNamesExpectedAndGiven() {
    var e = assertThrows(IllegalArgumentException.class, () -> HostTensor.of(new float[5], 2, 3));
    assertTrue(e.getMessage().contains("needs 6") && e.getMessage().contains("given 5"), e.getMessage());
    var b = assertThrows(IllegalArgumentException.class, () -> HostTensor.ofBytes(DType.BF16, Shape.of(4), new byte[6]));
    assertTrue(b.getMessage().contains("needs 8 bytes") && b.getMessage().contains("given 6"), b.getMessage());
  }

  @Test
  void convertsToEveryDtypeAndBack() {
    float[] v = {0f, 1f, -1f, 2.5f, 100f};
    for (DType d : DType.values()) {
      HostTensor t = HostTensor.of(d, Shape.of(5), v);
      assertEquals(5L * d.byteSize(), t.bytes().length, d.name());
      float[] back = t.toFloatArray();
      for (int i = 0; i < v.length; i++) {
        float want = switch (d.kind()) {
          case BOOL -> v[i] != 0 ? 1f : 0f;
          case SIGNED -> (float) (int) v[i];
          case UNSIGNED -> v[i] < 0 ? (float) (Math.pow(2, d.bits()) - 1) : (float) (int) v[i]; // -1 wraps
          case FLOAT -> v[i];
        };
        assertEquals(want, back[i], d + " element " + i);
      }
    }
  }

  @Test
  void bf16AndF16StorageIsTheHalfFloatBits() {
    HostTensor b = HostTensor.of(DType.BF16, Shape.of(2), new float[] {1f, 1f + 0x1p-8f});
    assertArrayEquals(new byte[] {(byte) 0x80, 0x3F, (byte) 0x80, 0x3F}, b.bytes()); // tie rounded to even
    HostTensor h = HostTensor.of(DType.F16, Shape.of(3), new float[] {1f, 0x1p-24f, Float.NaN});
    assertEquals(1f, h.getFloat(0));
    assertEquals(0x1p-24f, h.getFloat(1));
    assertTrue(Float.isNaN(h.getFloat(2)));
    assertEquals(HostTensor.of(new float[] {1f, 0x1p-24f}, 2), HostTensor.of(DType.F16, Shape.of(2), new float[] {1f, 0x1p-24f}).astype(DType.F32));
  }

  @Test
  void unsignedAndWideIntegers() {
    HostTensor u32 = HostTensor.ofBytes(DType.U32, Shape.of(1), new byte[] {-1, -1, -1, -1});
    assertEquals(4294967295.0, u32.toDoubleArray()[0]);
    assertArrayEquals(new long[] {4294967295L}, u32.toLongArray());
    HostTensor u64 = HostTensor.ofBytes(DType.U64, Shape.of(1), new byte[] {-1, -1, -1, -1, -1, -1, -1, -1});
    assertEquals(0x1p64, u64.toDoubleArray()[0]);
    assertEquals(0x1p64f, u64.toFloatArray()[0]);
    assertArrayEquals(new long[] {-1L}, u64.toLongArray()); // the bit pattern
    HostTensor big = HostTensor.ofLongs(new long[] {(1L << 53) + 1, Long.MIN_VALUE}, 2);
    assertArrayEquals(new long[] {(1L << 53) + 1, Long.MIN_VALUE}, big.astype(DType.U64).astype(DType.I64).toLongArray());
    assertEquals(3_000_000_000L, HostTensor.of(DType.U32, Shape.of(1), new float[] {3e9f}).toLongArray()[0]);
    assertEquals(200, HostTensor.ofInts(new int[] {200}, 1).astype(DType.U8).toIntArray()[0]);
    assertEquals(-56, HostTensor.ofInts(new int[] {200}, 1).astype(DType.I8).toIntArray()[0]);
  }

  @Test
  void predAndAstype() {
    HostTensor p = HostTensor.of(DType.PRED, Shape.of(4), new float[] {0f, 2f, -0f, Float.NaN});
    assertArrayEquals(new byte[] {0, 1, 0, 1}, p.bytes());
    assertArrayEquals(new int[] {0, 1, 0}, HostTensor.ofInts(new int[] {0, 7, 0}, 3).astype(DType.PRED).toIntArray());
    assertArrayEquals(new int[] {2, -2}, HostTensor.of(new float[] {2.9f, -2.9f}, 2).astype(DType.I32).toIntArray());
    HostTensor x = HostTensor.of(new float[] {1, 2}, 2);
    assertTrue(x == x.astype(DType.F32));
  }

  @Test
  void otherFactories() {
    assertEquals(TensorType.scalar(DType.F32), HostTensor.scalar(3f).type());
    assertEquals(3f, HostTensor.scalar(3f).getFloat());
    assertArrayEquals(new double[] {1.5, -2}, HostTensor.ofDoubles(new double[] {1.5, -2}, 2).toDoubleArray());
    assertEquals(DType.F64, HostTensor.ofDoubles(new double[] {1}, 1).dtype());
    HostTensor z = HostTensor.zeros(TensorType.of(DType.BF16, 2, 2));
    assertArrayEquals(new float[4], z.toFloatArray());
    assertEquals(DType.I64, HostTensor.ofLongs(new long[] {1}, 1).dtype());
    try (Arena a = Arena.ofConfined()) {
      MemorySegment seg = a.allocate(8);
      HostTensor.ofInts(new int[] {7, 8}, 2).copyTo(seg);
      assertEquals(HostTensor.ofInts(new int[] {7, 8}, 2), HostTensor.ofSegment(TensorType.of(DType.I32, 2), seg));
    }
  }

  @Test
  void equalityIndexingAndToString() {
    HostTensor a = HostTensor.of(new float[] {1, 2}, 2);
    assertEquals(a, HostTensor.of(new float[] {1, 2}, 2));
    assertEquals(a.hashCode(), HostTensor.of(new float[] {1, 2}, 2).hashCode());
    assertNotEquals(a, HostTensor.of(new float[] {1, 2}, 1, 2)); // same bytes, other shape
    assertNotEquals(a, HostTensor.of(new float[] {1, 3}, 2));
    assertEquals("HostTensor(tensor<2xf32>)[1.0, 2.0]", a.toString());
    assertTrue(HostTensor.zeros(TensorType.of(DType.I32, 100)).toString().endsWith(", ...]"));
    assertThrows(IndexOutOfBoundsException.class, () -> a.getFloat(2));
    assertThrows(IllegalArgumentException.class, () -> a.getFloat(0, 0));
  }

  @Test
  void segmentsAreReadOnlyAndViewsCompareByContent() {
    HostTensor x = HostTensor.of(new float[] {1, 2, 3}, 3);
    org.junit.jupiter.api.Assertions.assertTrue(x.segment().isReadOnly(), "a heap tensor's bytes cannot be changed through segment()");
    org.junit.jupiter.api.Assertions.assertFalse(x.isNative());
    try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
      java.lang.foreign.MemorySegment m = arena.allocate(12);
      x.copyTo(m);
      HostTensor v = HostTensor.view(x.type(), m, null);
      org.junit.jupiter.api.Assertions.assertTrue(v.isNative());
      assertEquals(x, v);
      assertEquals(x.hashCode(), v.hashCode());
      assertEquals(x.toString(), v.toString());
      assertEquals(2f, v.getFloat(1));
      assertThrows(IllegalArgumentException.class, () -> HostTensor.view(TensorType.of(DType.F32, 4), m, null));
    }
  }
}
