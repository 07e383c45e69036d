package org.xla4j.models.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Grok-1's int8 quantization on hand-made rows: scales, rounding, blocks, zero blocks, bad sizes. */
class Int8QuantizerTest {
  @Test
  void oneBlockPerRowIsAbsmaxOver127AndRoundsToNearestEven() {
    // row 0: absmax 2.54 -> scale bf16(0.02) = 0.0200195...; row 1: absmax 127 -> scale 1 exactly
    float[] w = {2.54f, -1f, 0.01f, 0f, 127f, -63.5f, 62.5f, -127f};
    Int8Quantizer.Result r = Int8Quantizer.quantize(w, 2, 4, 1);
    float s0 = Float.intBitsToFloat(Float.floatToRawIntBits(0.02f) + 0x8000 & 0xFFFF0000); // nearest bf16 of 0.02
    assertEquals(s0, r.scales()[0]);
    assertEquals(1f, r.scales()[1]);
    assertEquals((byte) Math.rint(2.54 / s0), r.weight()[0]);
    assertEquals((byte) Math.rint(-1 / s0), r.weight()[1]);
    assertEquals(0, r.weight()[2]); // 0.01 / 0.02 = 0.4996 -> 0
    // ties to even: -63.5 -> -64, 62.5 -> 62
    assertArrayEquals(new byte[] {127, -64, 62, -127}, java.util.Arrays.copyOfRange(r.weight(), 4, 8));
  }

  @Test
  void blocksHaveTheirOwnScalesLaidOutNbByOut() {
    // 1 row, 8 inputs in 2 blocks; block 1 is all zero: scale 0, weights 0
    float[] w = {1, 2, 4, -8, 0, 0, 0, 0};
    Int8Quantizer.Result r = Int8Quantizer.quantize(w, 1, 8, 2);
    assertEquals(2, r.scales().length);
    float s = r.scales()[0];
    assertEquals(Float.intBitsToFloat(Float.floatToRawIntBits(8f / 127) + 0x8000 & 0xFFFF0000), s);
    assertEquals(0f, r.scales()[1]);
    assertArrayEquals(new byte[] {16, 32, 64, -127, 0, 0, 0, 0}, r.weight()); // 8/s = 127.0 after bf16 rounding of s
    // [nb, out] with two rows: scales[b * out + o]
    float[] two = {1, 1, 4, 4, 2, 2, 8, 8};
    Int8Quantizer.Result t = Int8Quantizer.quantize(two, 2, 4, 2);
    assertTrue(t.scales()[0] < t.scales()[2] && t.scales()[1] < t.scales()[3], java.util.Arrays.toString(t.scales()));
    assertEquals(t.scales()[0] * 2, t.scales()[1]);
  }

  @Test
  void dequantizedValuesAreWithinHalfAStep() {
    java.util.Random rnd = new java.util.Random(5);
    float[] w = new float[16 * 64];
    for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
    Int8Quantizer.Result r = Int8Quantizer.quantize(w, 16, 64, 8);
    for (int o = 0; o < 16; o++) {
      for (int i = 0; i < 64; i++) {
        float s = r.scales()[(i / 8) * 16 + o];
        double err = Math.abs(r.weight()[o * 64 + i] * (double) s - w[o * 64 + i]);
        assertTrue(err <= 0.5 * s * 1.0001 + 1e-7 || Math.abs(r.weight()[o * 64 + i]) == 127, o + "," + i + ": " + err);
      }
    }
  }

  @Test
  void refusesBlocksThatDoNotDivideAndNonFiniteValues() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Int8Quantizer.quantize(new float[6], 1, 6, 4)).getMessage()
        .contains("4 scale blocks must divide the 6 input features"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Int8Quantizer.quantize(new float[6], 2, 4, 1)).getMessage()
        .contains("a [2, 4] matrix has 8 elements, got 6"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Int8Quantizer.quantize(new float[] {1, Float.NaN}, 1, 2, 1))
        .getMessage().contains("element 1 of the row is NaN"));
  }
}
