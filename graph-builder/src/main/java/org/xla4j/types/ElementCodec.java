package org.xla4j.types;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Reads and writes one element of any {@link DType} in a little-endian byte array. The one per-dtype
 * switch of the project: constants ({@code Literal}) and host tensors ({@code HostTensor}) both use it,
 * so their conversions agree.
 *
 * <pre>{@code
 * byte[] b = new byte[4];
 * ElementCodec.writeDouble(DType.BF16, b, 1, 0.1);   // element 1 = bf16(0.1)
 * }</pre>
 */
public final class ElementCodec {
  private ElementCodec() {}

  private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle F32 = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle F64 = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);
  private static final double TWO_POW_63 = 0x1p63;

  public static short getShort(byte[] b, int i) { return (short) I16.get(b, 2 * i); }

  public static int getInt(byte[] b, int i) { return (int) I32.get(b, 4 * i); }

  public static long getLong(byte[] b, int i) { return (long) I64.get(b, 8 * i); }

  /** Element {@code i} as a double; unsigned types read as unsigned, bf16/f16 exactly. */
  public static double readDouble(DType t, byte[] b, int i) {
    return switch (t) {
      case PRED -> b[i] != 0 ? 1 : 0;
      case I8 -> b[i];
      case U8 -> b[i] & 0xFF;
      case I16 -> getShort(b, i);
      case U16 -> getShort(b, i) & 0xFFFF;
      case I32 -> getInt(b, i);
      case U32 -> getInt(b, i) & 0xFFFF_FFFFL;
      case I64 -> getLong(b, i);
      case U64 -> unsignedToDouble(getLong(b, i));
      case F16 -> HalfFloats.f16ToFloat(getShort(b, i));
      case BF16 -> HalfFloats.bf16ToFloat(getShort(b, i));
      case F32 -> (float) F32.get(b, 4 * i);
      case F64 -> (double) F64.get(b, 8 * i);
    };
  }

  /** Element {@code i} as a float, rounded once (64-bit integers are not rounded via double). */
  public static float readFloat(DType t, byte[] b, int i) {
    return switch (t) {
      case I64 -> (float) getLong(b, i);
      case U64 -> unsignedToFloat(getLong(b, i));
      default -> (float) readDouble(t, b, i);
    };
  }

  /**
   * Element {@code i} as a long: integers exactly (u64 as its bit pattern), pred as 0/1, floats
   * truncated toward zero like a Java cast.
   */
  public static long readLong(DType t, byte[] b, int i) {
    return switch (t) {
      case PRED -> b[i] != 0 ? 1 : 0;
      case I8 -> b[i];
      case U8 -> b[i] & 0xFF;
      case I16 -> getShort(b, i);
      case U16 -> getShort(b, i) & 0xFFFF;
      case I32 -> getInt(b, i);
      case U32 -> getInt(b, i) & 0xFFFF_FFFFL;
      case I64, U64 -> getLong(b, i);
      case F16, BF16, F32, F64 -> (long) readDouble(t, b, i);
    };
  }

  /**
   * Stores {@code v} as element {@code i}: floats rounded to nearest even, integers by a Java cast
   * (wrapping to the width, unsigned values stored as their bit pattern), pred as {@code v != 0}.
   */
  public static void writeDouble(DType t, byte[] b, int i, double v) {
    switch (t) {
      case PRED -> b[i] = (byte) (v != 0 ? 1 : 0);
      case I8, U8 -> b[i] = (byte) (long) v;
      case I16, U16 -> I16.set(b, 2 * i, (short) (long) v);
      case I32, U32 -> I32.set(b, 4 * i, (int) (long) v);
      case I64 -> I64.set(b, 8 * i, (long) v);
      case U64 -> I64.set(b, 8 * i, doubleToUnsigned(v));
      case F16 -> I16.set(b, 2 * i, HalfFloats.floatToF16((float) v));
      case BF16 -> I16.set(b, 2 * i, HalfFloats.floatToBf16((float) v));
      case F32 -> F32.set(b, 4 * i, (float) v);
      case F64 -> F64.set(b, 8 * i, v);
    }
  }

  /** Stores an integer {@code v} as element {@code i} (ints wrap to the width, floats round). */
  public static void writeLong(DType t, byte[] b, int i, long v) {
    switch (t) {
      case PRED -> b[i] = (byte) (v != 0 ? 1 : 0);
      case I8, U8 -> b[i] = (byte) v;
      case I16, U16 -> I16.set(b, 2 * i, (short) v);
      case I32, U32 -> I32.set(b, 4 * i, (int) v);
      case I64, U64 -> I64.set(b, 8 * i, v);
      case F32, F16, BF16 -> writeDouble(t, b, i, (float) v); // via float: exact below 2^24
      case F64 -> F64.set(b, 8 * i, (double) v);
    }
  }

  private static double unsignedToDouble(long v) {
    if (v >= 0) return v;
    // halve keeping the lowest bit as a sticky bit, so the single rounding stays correct
    return ((double) ((v >>> 1) | (v & 1))) * 2.0;
  }

  private static float unsignedToFloat(long v) {
    if (v >= 0) return v;
    // halve keeping the lowest bit as a sticky bit, so the single rounding stays correct
    return ((float) ((v >>> 1) | (v & 1))) * 2f;
  }

  private static long doubleToUnsigned(double v) {
    return v >= TWO_POW_63 ? (long) (v - TWO_POW_63) + Long.MIN_VALUE : (long) v;
  }
}
