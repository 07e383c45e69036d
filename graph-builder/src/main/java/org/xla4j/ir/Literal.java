package org.xla4j.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.xla4j.types.DType;
import org.xla4j.types.HalfFloats;
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
    ByteBuffer b = buffer(type.dtype().byteSize());
    put(b, type.dtype(), value);
    return new Literal(type, b.array(), true);
  }

  /** Elements in row-major order, converted to the element type. */
  public static Literal of(TensorType type, double... values) {
    checkCount(type, values.length);
    ByteBuffer b = buffer(Math.toIntExact(type.byteSize()));
    for (double v : values) put(b, type.dtype(), v);
    return new Literal(type, b.array(), false);
  }

  /** Integer elements in row-major order; exact for i64/u64. */
  public static Literal ofLongs(TensorType type, long... values) {
    checkCount(type, values.length);
    ByteBuffer b = buffer(Math.toIntExact(type.byteSize()));
    for (long v : values) putLong(b, type.dtype(), v);
    return new Literal(type, b.array(), false);
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

  /** Element {@code i} (row-major) as a double; pred reads as 0/1. */
  public double get(long i) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int off = splat ? 0 : Math.toIntExact(i * type.dtype().byteSize());
    return switch (type.dtype()) {
      case F16 -> HalfFloats.f16ToFloat(b.getShort(off));
      case BF16 -> HalfFloats.bf16ToFloat(b.getShort(off));
      case F32 -> b.getFloat(off);
      case F64 -> b.getDouble(off);
      case U64 -> unsignedToDouble(getLong(i));
      default -> getLong(i);
    };
  }

  /** Element {@code i} as a long (integer and pred types, exact). */
  public long getLong(long i) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int off = splat ? 0 : Math.toIntExact(i * type.dtype().byteSize());
    return switch (type.dtype()) {
      case PRED -> b.get(off) != 0 ? 1 : 0;
      case I8 -> b.get(off);
      case U8 -> b.get(off) & 0xFF;
      case I16 -> b.getShort(off);
      case U16 -> b.getShort(off) & 0xFFFF;
      case I32 -> b.getInt(off);
      case U32 -> b.getInt(off) & 0xFFFFFFFFL;
      case I64, U64 -> b.getLong(off);
      case F16, BF16, F32, F64 -> (long) get(i);
    };
  }

  private static double unsignedToDouble(long v) {
    double d = (double) (v >>> 1) * 2.0;
    return d + (v & 1);
  }

  private static void checkCount(TensorType type, int n) {
    if (n != type.numElements()) {
      throw new IllegalArgumentException("stablehlo.constant: " + type + " requires " + type.numElements()
          + " elements, got " + n);
    }
  }

  private static ByteBuffer buffer(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void put(ByteBuffer b, DType d, double v) {
    switch (d) {
      case F16 -> b.putShort(HalfFloats.floatToF16((float) v));
      case BF16 -> b.putShort(HalfFloats.floatToBf16((float) v));
      case F32 -> b.putFloat((float) v);
      case F64 -> b.putDouble(v);
      case PRED -> b.put((byte) (v != 0 ? 1 : 0));
      default -> {
        if (v != Math.rint(v) || Double.isInfinite(v)) {
          throw new IllegalArgumentException("stablehlo.constant: " + d.mlir() + " requires integer values, got " + v);
        }
        putLong(b, d, (long) v);
      }
    }
  }

  private static void putLong(ByteBuffer b, DType d, long v) {
    switch (d) {
      case PRED -> b.put((byte) (v != 0 ? 1 : 0));
      case I8, U8 -> b.put((byte) v);
      case I16, U16 -> b.putShort((short) v);
      case I32, U32 -> b.putInt((int) v);
      case I64, U64 -> b.putLong(v);
      case F16, BF16, F32, F64 -> put(b, d, v);
    }
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
