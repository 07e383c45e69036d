package org.xla4j.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import org.xla4j.types.ElementCodec;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * An immutable tensor in Java memory: element type, shape and the elements as little-endian bytes in
 * row-major order (the layout XLA, safetensors and numpy use). Limited to 2 GiB of data.
 *
 * <pre>{@code
 * HostTensor x = HostTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);    // f32[2,3]
 * HostTensor h = x.astype(DType.BF16);
 * float v = h.getFloat(1, 2);                                            // 6.0
 * }</pre>
 */
public final class HostTensor {
  private final TensorType type;
  private final byte[] data; // never exposed; every way out copies or is read-only

  private HostTensor(TensorType type, byte[] data) {
    this.type = type;
    this.data = data;
  }

  /** Takes ownership of {@code data} without copying; callers in this package must not keep it. */
  static HostTensor wrap(TensorType type, byte[] data) {
    checkBytes(type, data.length);
    return new HostTensor(type, data);
  }

  // ---------------------------------------------------------------- factories

  /** An f32 tensor of the given dimensions (a scalar when none are given). */
  public static HostTensor of(float[] data, long... dims) {
    return of(DType.F32, Shape.of(dims), data);
  }

  /**
   * A tensor of any dtype from float values: bf16/f16 rounded to nearest even, integers by a Java
   * cast (wrapping to the width), pred as {@code value != 0}.
   */
  public static HostTensor of(DType dtype, Shape shape, float[] data) {
    TensorType t = new TensorType(dtype, shape);
    checkCount(t, data.length);
    byte[] b = allocate(t);
    if (dtype == DType.F32) le(b).asFloatBuffer().put(data); // bulk copy, the common case
    else for (int i = 0; i < data.length; i++) ElementCodec.writeDouble(dtype, b, i, data[i]);
    return new HostTensor(t, b);
  }

  /** An f64 tensor. */
  public static HostTensor ofDoubles(double[] data, long... dims) {
    return ofDoubles(DType.F64, Shape.of(dims), data);
  }

  /** A tensor of any dtype from double values, converted as in {@link #of(DType, Shape, float[])}. */
  public static HostTensor ofDoubles(DType dtype, Shape shape, double[] data) {
    TensorType t = new TensorType(dtype, shape);
    checkCount(t, data.length);
    byte[] b = allocate(t);
    if (dtype == DType.F64) le(b).asDoubleBuffer().put(data);
    else for (int i = 0; i < data.length; i++) ElementCodec.writeDouble(dtype, b, i, data[i]);
    return new HostTensor(t, b);
  }

  /** An i32 tensor. */
  public static HostTensor ofInts(int[] data, long... dims) {
    TensorType t = new TensorType(DType.I32, Shape.of(dims));
    checkCount(t, data.length);
    byte[] b = allocate(t);
    le(b).asIntBuffer().put(data);
    return new HostTensor(t, b);
  }

  /** An i64 tensor. */
  public static HostTensor ofLongs(long[] data, long... dims) {
    TensorType t = new TensorType(DType.I64, Shape.of(dims));
    checkCount(t, data.length);
    byte[] b = allocate(t);
    le(b).asLongBuffer().put(data);
    return new HostTensor(t, b);
  }

  /** A tensor from raw little-endian bytes (copied); the length must match the type exactly. */
  public static HostTensor ofBytes(DType dtype, Shape shape, byte[] littleEndian) {
    TensorType t = new TensorType(dtype, shape);
    checkBytes(t, littleEndian.length);
    return new HostTensor(t, littleEndian.clone());
  }

  /**
   * A tensor copied from raw little-endian bytes in (possibly native) memory, e.g. a runtime's output
   * buffer. The segment must hold exactly {@code type.byteSize()} bytes.
   */
  public static HostTensor ofSegment(TensorType type, MemorySegment littleEndian) {
    checkBytes(type, littleEndian.byteSize());
    byte[] b = allocate(type);
    MemorySegment.copy(littleEndian, ValueLayout.JAVA_BYTE, 0, b, 0, b.length);
    return new HostTensor(type, b);
  }

  /** All elements zero (false for pred). */
  public static HostTensor zeros(TensorType type) {
    return new HostTensor(type, allocate(type));
  }

  /** An f32 scalar. */
  public static HostTensor scalar(float value) {
    return of(new float[] {value});
  }

  // ---------------------------------------------------------------- readers

  public TensorType type() { return type; }

  public DType dtype() { return type.dtype(); }

  public Shape shape() { return type.shape(); }

  /** Number of elements. */
  public int size() { return data.length / dtype().byteSize(); }

  /** All elements as floats (bf16/f16 exactly, wider types rounded to nearest). */
  public float[] toFloatArray() {
    float[] r = new float[size()];
    if (dtype() == DType.F32) {
      le(data).asFloatBuffer().get(r);
      return r;
    }
    for (int i = 0; i < r.length; i++) r[i] = ElementCodec.readFloat(dtype(), data, i);
    return r;
  }

  /** All elements as doubles (exact for every type but 64-bit integers beyond 2^53). */
  public double[] toDoubleArray() {
    double[] r = new double[size()];
    for (int i = 0; i < r.length; i++) r[i] = ElementCodec.readDouble(dtype(), data, i);
    return r;
  }

  /** All elements as ints: integers like a Java cast (u32/64-bit wrap), floats truncated toward zero. */
  public int[] toIntArray() {
    int[] r = new int[size()];
    if (dtype() == DType.I32) {
      le(data).asIntBuffer().get(r);
      return r;
    }
    for (int i = 0; i < r.length; i++) r[i] = (int) ElementCodec.readLong(dtype(), data, i);
    return r;
  }

  /** All elements as longs: integers exactly (u64 as its bit pattern), floats truncated toward zero. */
  public long[] toLongArray() {
    long[] r = new long[size()];
    for (int i = 0; i < r.length; i++) r[i] = ElementCodec.readLong(dtype(), data, i);
    return r;
  }

  /** One element by its multi-dimensional index, as a float. */
  public float getFloat(long... index) {
    return ElementCodec.readFloat(dtype(), data, flatIndex(index));
  }

  /** A copy of the raw little-endian bytes. */
  public byte[] bytes() { return data.clone(); }

  /** A read-only little-endian view of the raw bytes (no copy). */
  public ByteBuffer byteBuffer() {
    return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Copies the raw bytes into {@code dst} (e.g. a runtime's native input buffer) at offset 0. */
  public void copyTo(MemorySegment dst) {
    MemorySegment.copy(data, 0, dst, ValueLayout.JAVA_BYTE, 0, data.length);
  }

  /**
   * The same values as another dtype: between integer types (and pred) exactly or wrapping like a
   * Java cast; to float types rounded to nearest even; floats to integers truncated toward zero.
   */
  public HostTensor astype(DType target) {
    if (target == dtype()) return this;
    TensorType t = type.withDType(target);
    byte[] b = allocate(t);
    int n = size();
    boolean viaLong = !dtype().isFloat() && !target.isFloat();
    for (int i = 0; i < n; i++) {
      if (viaLong) ElementCodec.writeLong(target, b, i, ElementCodec.readLong(dtype(), data, i));
      else ElementCodec.writeDouble(target, b, i, ElementCodec.readDouble(dtype(), data, i));
    }
    return new HostTensor(t, b);
  }

  // ---------------------------------------------------------------- object methods

  @Override
  public boolean equals(Object o) {
    return o instanceof HostTensor h && type.equals(h.type) && Arrays.equals(data, h.data);
  }

  @Override
  public int hashCode() { return 31 * type.hashCode() + Arrays.hashCode(data); }

  /** E.g. {@code HostTensor(tensor<2x3xf32>)[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, at most 8 values. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("HostTensor(").append(type.mlir()).append(")[");
    int n = Math.min(size(), 8);
    for (int i = 0; i < n; i++) {
      if (i > 0) sb.append(", ");
      if (dtype().isFloat()) sb.append(ElementCodec.readDouble(dtype(), data, i));
      else if (dtype() == DType.U64) sb.append(Long.toUnsignedString(ElementCodec.readLong(dtype(), data, i)));
      else sb.append(ElementCodec.readLong(dtype(), data, i));
    }
    return sb.append(size() > n ? ", ...]" : "]").toString();
  }

  // ---------------------------------------------------------------- checks

  private int flatIndex(long[] index) {
    long[] dims = shape().dims();
    if (index.length != dims.length) {
      throw new IllegalArgumentException("index " + Arrays.toString(index) + " has " + index.length
          + " coordinate(s); the tensor " + type + " has rank " + dims.length);
    }
    long flat = 0;
    for (int d = 0; d < dims.length; d++) {
      if (index[d] < 0 || index[d] >= dims[d]) {
        throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " is out of bounds for " + type);
      }
      flat = flat * dims[d] + index[d];
    }
    return (int) flat;
  }

  private static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static byte[] allocate(TensorType t) {
    long n = t.byteSize();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(t + " needs " + n + " bytes; HostTensor holds at most 2 GiB");
    }
    return new byte[(int) n];
  }

  private static void checkCount(TensorType t, int given) {
    Objects.requireNonNull(t);
    if (t.numElements() != given) {
      throw new IllegalArgumentException("shape " + t.shape() + " needs " + t.numElements()
          + " element(s), given " + given);
    }
  }

  private static void checkBytes(TensorType t, long given) {
    if (t.byteSize() != given) {
      throw new IllegalArgumentException(t + " needs " + t.byteSize() + " bytes (" + t.numElements()
          + " element(s) x " + t.dtype().byteSize() + " bytes), given " + given);
    }
  }
}
