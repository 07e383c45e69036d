package org.xla4j.ir;

import java.util.Arrays;
import org.xla4j.types.DType;
import org.xla4j.types.ElementCodec;
import org.xla4j.types.TensorType;

/**
 * Constant data for {@code stablehlo.constant}: a type and its elements as little-endian bytes,
 * either one element repeated (splat) or every element.
 *
 * <pre>{@code
 * Literal.splat(TensorType.of(DType.F32, 4), 0.5);
 * Literal.of(TensorType.of(DType.I32, 3), 1, 2, 3);
 * }</pre>
 */
public final class Literal {
  private final TensorType type;
  private final byte[] bytes;
  private final boolean splat;

  private Literal(TensorType type, byte[] bytes, boolean splat) {
    this.type = type;
    this.bytes = bytes;
    this.splat = splat;
  }

  /** Every element equal to {@code value}, converted to the element type. */
  public static Literal splat(TensorType type, double value) {
    byte[] b = new byte[type.dtype().byteSize()];
    put(b, type.dtype(), 0, value);
    return new Literal(type, b, true);
  }

  /** Every element equal to the integer {@code value}, stored as its bit pattern at the width (exact for i64/u64). */
  public static Literal splatLong(TensorType type, long value) {
    byte[] b = new byte[type.dtype().byteSize()];
    ElementCodec.writeLong(type.dtype(), b, 0, value);
    return new Literal(type, b, true);
  }

  /** Elements in row-major order, converted to the element type. */
  public static Literal of(TensorType type, double... values) {
    checkCount(type, values.length);
    byte[] b = new byte[Math.toIntExact(type.byteSize())];
    for (int i = 0; i < values.length; i++) put(b, type.dtype(), i, values[i]);
    return new Literal(type, b, false);
  }

  /** Integer elements in row-major order; exact for i64/u64. */
  public static Literal ofLongs(TensorType type, long... values) {
    checkCount(type, values.length);
    byte[] b = new byte[Math.toIntExact(type.byteSize())];
    for (int i = 0; i < values.length; i++) ElementCodec.writeLong(type.dtype(), b, i, values[i]);
    return new Literal(type, b, false);
  }

  /** Raw little-endian element bytes (pred: one byte per element). */
  public static Literal ofBytes(TensorType type, byte[] littleEndian) {
    if (littleEndian.length != type.byteSize()) {
      throw new IllegalArgumentException("stablehlo.constant: " + type + " requires " + type.byteSize()
          + " bytes, got " + littleEndian.length);
    }
    return new Literal(type, littleEndian.clone(), false);
  }

  public TensorType type() { return type; }

  public boolean isSplat() { return splat; }

  /** The little-endian bytes: one element when splat, all elements otherwise. */
  public byte[] bytes() { return bytes.clone(); }

  /** Element {@code i} (row-major) as a double; pred reads as 0/1, unsigned types as unsigned. */
  public double get(long i) {
    return ElementCodec.readDouble(type.dtype(), bytes, splat ? 0 : Math.toIntExact(i));
  }

  /** Element {@code i} as a long (integer and pred types exactly; u64 as its bit pattern). */
  public long getLong(long i) {
    return ElementCodec.readLong(type.dtype(), bytes, splat ? 0 : Math.toIntExact(i));
  }

  private static void checkCount(TensorType type, int n) {
    if (n != type.numElements()) {
      throw new IllegalArgumentException("stablehlo.constant: " + type + " requires " + type.numElements()
          + " elements, got " + n);
    }
  }

  /** Stores one value; integer types refuse fractions and out-of-range values instead of truncating or wrapping. */
  private static void put(byte[] b, DType d, int i, double v) {
    if (d.isInteger()) {
      double lo = d.isUnsigned() ? 0 : -Math.pow(2, d.bits() - 1);
      double hi = d.isUnsigned() ? Math.pow(2, d.bits()) - 1 : Math.pow(2, d.bits() - 1) - 1;
      if (v != Math.rint(v) || v < lo || v > hi) {
        throw new IllegalArgumentException("stablehlo.constant: " + d.mlir() + " requires integer values in ["
            + (long) lo + ", " + (d == DType.U64 ? "2^64-1" : String.valueOf((long) hi)) + "], got " + v);
      }
    }
    ElementCodec.writeDouble(d, b, i, v);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Literal l && l.type.equals(type) && l.splat == splat && Arrays.equals(l.bytes, bytes);
  }

  @Override
  public int hashCode() { return type.hashCode() * 31 + Arrays.hashCode(bytes); }

  @Override
  public String toString() { return "Literal(" + type + (splat ? ", splat " + get(0) : "") + ")"; }

}
