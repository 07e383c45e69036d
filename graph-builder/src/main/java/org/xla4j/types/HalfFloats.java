package org.xla4j.types;

/**
 * Bit-exact conversions between float and the 16-bit float formats (bfloat16, IEEE half), with
 * round-to-nearest-even, as XLA does on the device.
 */
public final class HalfFloats {
  private HalfFloats() {}

  /** float -> bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN. */
  public static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
    int lsb = (bits >>> 16) & 1;
    int rounded = bits + 0x7FFF + lsb;
    return (short) (rounded >>> 16);
  }

  /** bfloat16 bits -> float (exact). */
  public static float bf16ToFloat(short b) {
    return Float.intBitsToFloat((b & 0xFFFF) << 16);
  }

  /** float -> IEEE binary16 bits, round to nearest even, with subnormals, overflow to infinity and NaN. */
  public static short floatToF16(float f) {
    return Float.floatToFloat16(f);
  }

  /** IEEE binary16 bits -> float (exact). */
  public static float f16ToFloat(short h) {
    return Float.float16ToFloat(h);
  }
}
