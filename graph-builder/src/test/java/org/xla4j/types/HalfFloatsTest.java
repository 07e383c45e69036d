package org.xla4j.types;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HalfFloatsTest {
  private static int bf16(float f) { return HalfFloats.floatToBf16(f) & 0xFFFF; }

  private static int f16(float f) { return HalfFloats.floatToF16(f) & 0xFFFF; }

  @Test
  void bf16KnownBitPatterns() {
    assertEquals(0x3F80, bf16(1.0f));
    assertEquals(0xC000, bf16(-2.0f));
    assertEquals(0x0000, bf16(0.0f));
    assertEquals(0x8000, bf16(-0.0f));
    assertEquals(0x4049, bf16(3.140625f)); // exactly representable
    assertEquals(0x7F80, bf16(Float.POSITIVE_INFINITY));
    assertEquals(0xFF80, bf16(Float.NEGATIVE_INFINITY));
  }

  @Test
  void bf16RoundsToNearestEven() {
    assertEquals(0x3F80, bf16(1.0f + 0x1p-8f)); // tie between 0x3F80 and 0x3F81: even wins
    assertEquals(0x3F82, bf16(1.0f + 3 * 0x1p-8f)); // tie between 0x3F81 and 0x3F82: even wins
    assertEquals(0x3F81, bf16(1.0f + 0x1p-8f + 0x1p-20f)); // just above the tie
    assertEquals(0x3F80, bf16(1.0f + 0x1p-8f - 0x1p-20f)); // just below the tie
    assertEquals(0x7F80, bf16(Float.MAX_VALUE)); // rounds past the largest bf16 to infinity
    assertEquals(0x7F7F, bf16(Float.intBitsToFloat(0x7F7F7FFF)));
  }

  @Test
  void bf16NanAndSubnormals() {
    float nanLowPayload = Float.intBitsToFloat(0x7F800001); // truncation alone would give infinity
    assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(nanLowPayload))));
    assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))));
    assertEquals(0xFFC0, bf16(Float.intBitsToFloat(0xFF800001))); // sign kept, quiet bit set
    assertEquals(0x0001, bf16(Float.intBitsToFloat(0x00010000))); // smallest bf16 subnormal, exact
    assertEquals(0x0000, bf16(Float.MIN_VALUE)); // far below half of it
    assertEquals(Float.intBitsToFloat(0x00010000), HalfFloats.bf16ToFloat((short) 0x0001));
  }

  @Test
  void bf16WideningIsExact() {
    assertEquals(1.0f, HalfFloats.bf16ToFloat((short) 0x3F80));
    assertEquals(-2.0f, HalfFloats.bf16ToFloat((short) 0xC000));
    assertEquals(1.0078125f, HalfFloats.bf16ToFloat((short) 0x3F81));
    for (int b = 0; b < 0x10000; b++) {
      float f = HalfFloats.bf16ToFloat((short) b);
      if (!Float.isNaN(f)) assertEquals(b, bf16(f), "round trip of bf16 0x" + Integer.toHexString(b));
    }
  }

  @Test
  void f16KnownBitPatterns() {
    assertEquals(0x3C00, f16(1.0f));
    assertEquals(0xC000, f16(-2.0f));
    assertEquals(0x3555, f16(1f / 3f));
    assertEquals(0x7BFF, f16(65504f)); // largest finite
    assertEquals(0x7BFF, f16(65519f)); // below the tie with 65536
    assertEquals(0x7C00, f16(65520f)); // the tie rounds to even: infinity
    assertEquals(0x7C00, f16(Float.POSITIVE_INFINITY));
    assertEquals(0xFC00, f16(Float.NEGATIVE_INFINITY));
    assertEquals(0x8000, f16(-0.0f));
    assertEquals(0x3C00, f16(1.0f + 0x1p-11f)); // tie between 0x3C00 and 0x3C01: even wins
    assertEquals(0x3C02, f16(1.0f + 3 * 0x1p-11f)); // tie between 0x3C01 and 0x3C02: even wins
  }

  @Test
  void f16SubnormalsAndNan() {
    assertEquals(0x0001, f16(0x1p-24f)); // smallest subnormal
    assertEquals(0x0000, f16(0x1p-25f)); // tie with zero: even (zero) wins
    assertEquals(0x0001, f16(0x1.8p-25f)); // above the tie
    assertEquals(0x03FF, f16(0x3FFp-24f)); // largest subnormal
    assertEquals(0x0400, f16(0x1p-14f)); // smallest normal
    assertEquals(0x1p-24f, HalfFloats.f16ToFloat((short) 0x0001));
    assertEquals(0x3FFp-24f, HalfFloats.f16ToFloat((short) 0x03FF));
    assertTrue(Float.isNaN(HalfFloats.f16ToFloat((short) 0x7E00)));
    assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(Float.NaN))));
    assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.f16ToFloat((short) 0xFC00));
    for (int b = 0; b < 0x10000; b++) {
      float f = HalfFloats.f16ToFloat((short) b);
      if (!Float.isNaN(f)) assertEquals(b, f16(f), "round trip of f16 0x" + Integer.toHexString(b));
    }
  }
}
