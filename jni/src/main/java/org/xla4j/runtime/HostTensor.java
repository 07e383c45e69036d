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
 * An immutable tensor on the host: element type, shape and the elements as little-endian bytes in
 * row-major order (the layout XLA, safetensors and numpy use). Its bytes live either on the Java heap
 * (every factory but {@link #view}; at most 2 GiB) or in native memory it only views, such as a
 * memory-mapped checkpoint ({@link #view}; no size limit, no copy). A backend uploads a native view
 * straight from its address; the array readers ({@link #toFloatArray()}, {@link #bytes()}, ...) copy
 * and stay limited to 2 GiB.
 *
 * <pre>{@code
 * HostTensor x = HostTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);    // f32[2,3]
 * HostTensor h = x.astype(DType.BF16);
 * float v = h.getFloat(1, 2);                                            // 6.0
 * }</pre>
 */
public final class HostTensor {
  private final TensorType type;
  private final byte[] data; // heap tensors only (else null); never exposed, every way out copies or is read-only
  private final MemorySegment segment; // the bytes: a heap segment over data, or the viewed native memory
  @SuppressWarnings("unused") // kept only so that the owner of viewed memory outlives this tensor
  private final Object owner;

  private HostTensor(TensorType type, byte[] data) {
    this.type = type;
    this.data = data;
    this.segment = MemorySegment.ofArray(data).asReadOnly();
    this.owner = null;
  }

  private HostTensor(TensorType type, MemorySegment segment, Object owner) {
    this.type = type;
    this.data = null;
    this.segment = segment.asReadOnly();
    this.owner = owner;
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

  /**
   * A tensor that views {@code littleEndian} without copying it, e.g. a slice of a memory-mapped
   * checkpoint ({@link SafetensorsReader#read}). The memory must stay valid while the tensor is used:
   * once its arena is closed, reading the tensor throws {@link IllegalStateException}. {@code owner}
   * (may be null) is kept reachable as long as the tensor, e.g. the object whose Cleaner would free
   * the memory. Size is not limited to 2 GiB; uploads read the memory in place.
   *
   * <pre>{@code
   * try (Arena arena = Arena.ofConfined()) {
   *   MemorySegment m = arena.allocate(16);
   *   HostTensor t = HostTensor.view(TensorType.of(DType.F32, 4), m, null);
   * }
   * }</pre>
   */
  public static HostTensor view(TensorType type, MemorySegment littleEndian, Object owner) {
    Objects.requireNonNull(type, "type");
    checkBytes(type, littleEndian.byteSize());
    return new HostTensor(type, littleEndian, owner);
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

  /** Number of elements; a tensor of more than 2^31 - 1 elements (only a view can be) throws. */
  public int size() {
    long n = type.numElements();
    if (n > Integer.MAX_VALUE) throw new ArithmeticException(type + " has " + n + " elements, more than an int counts");
    return (int) n;
  }

  /**
   * The bytes as a read-only segment, without copying: on the heap for tensors made from Java values,
   * native for {@link #view}s (upload these by address). Valid as long as this tensor is reachable and
   * (for a view) its memory is.
   */
  public MemorySegment segment() { return segment; }

  /** True when the bytes live in native memory (a {@link #view}), so a backend can read them in place. */
  public boolean isNative() { return segment.isNative(); }

  /** The bytes as a heap array: the tensor's own for heap tensors, a copy (at most 2 GiB) for views. */
  private byte[] heap() {
    if (data != null) return data;
    long n = segment.byteSize();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(type + " is " + n + " bytes in native memory; reading it into a Java "
          + "array holds at most 2 GiB (upload it to a device, or use segment())");
    }
    return segment.toArray(ValueLayout.JAVA_BYTE);
  }

  /** One element's bytes (for single-element reads of a view without copying all of it). */
  private byte[] element(long flat) {
    if (data != null) return data;
    int w = dtype().byteSize();
    byte[] b = new byte[w];
    MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, (long) flat * w, b, 0, w);
    return b;
  }

  /** All elements as floats (bf16/f16 exactly, wider types rounded to nearest). */
  public float[] toFloatArray() {
    float[] r = new float[size()];
    byte[] data = heap();
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
    byte[] data = heap();
    for (int i = 0; i < r.length; i++) r[i] = ElementCodec.readDouble(dtype(), data, i);
    return r;
  }

  /** All elements as ints: integers like a Java cast (u32/64-bit wrap), floats truncated toward zero. */
  public int[] toIntArray() {
    int[] r = new int[size()];
    byte[] data = heap();
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
    byte[] data = heap();
    for (int i = 0; i < r.length; i++) r[i] = ElementCodec.readLong(dtype(), data, i);
    return r;
  }

  /** One element by its multi-dimensional index, as a float. */
  public float getFloat(long... index) {
    long flat = flatIndex(index);
    return data != null ? ElementCodec.readFloat(dtype(), data, (int) flat) : ElementCodec.readFloat(dtype(), element(flat), 0);
  }

  /** A copy of the raw little-endian bytes. */
  public byte[] bytes() { return data != null ? data.clone() : heap(); }

  /** A read-only little-endian view of the raw bytes (no copy; a view above 2 GiB throws). */
  public ByteBuffer byteBuffer() {
    if (data != null) return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    return segment.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Copies the raw bytes into {@code dst} (e.g. a runtime's native input buffer) at offset 0. */
  public void copyTo(MemorySegment dst) {
    MemorySegment.copy(segment, 0, dst, 0, segment.byteSize());
  }

  /**
   * The same values as another dtype: between integer types (and pred) exactly or wrapping like a
   * Java cast; to float types rounded to nearest even; floats to integers truncated toward zero.
   */
  public HostTensor astype(DType target) {
    if (target == dtype()) return this;
    TensorType t = type.withDType(target);
    byte[] b = allocate(t);
    byte[] data = heap();
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
    if (!(o instanceof HostTensor h) || !type.equals(h.type)) return false;
    return data != null && h.data != null ? Arrays.equals(data, h.data) : segment.mismatch(h.segment) == -1;
  }

  /** Over the type and at most the first 4 KiB of bytes (so hashing a large view reads little). */
  @Override
  public int hashCode() {
    int h = type.hashCode();
    long n = Math.min(segment.byteSize(), 4096);
    for (long i = 0; i < n; i++) h = 31 * h + segment.get(ValueLayout.JAVA_BYTE, i);
    return h;
  }

  /** E.g. {@code HostTensor(tensor<2x3xf32>)[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, at most 8 values. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("HostTensor(").append(type.mlir()).append(")[");
    long total = type.numElements();
    int n = (int) Math.min(total, 8);
    for (int i = 0; i < n; i++) {
      byte[] data = element(i);
      int at = this.data != null ? i : 0;
      if (i > 0) sb.append(", ");
      if (dtype().isFloat()) sb.append(ElementCodec.readDouble(dtype(), data, at));
      else if (dtype() == DType.U64) sb.append(Long.toUnsignedString(ElementCodec.readLong(dtype(), data, at)));
      else sb.append(ElementCodec.readLong(dtype(), data, at));
    }
    return sb.append(total > n ? ", ...]" : "]").toString();
  }

  // ---------------------------------------------------------------- checks

  private long flatIndex(long[] index) {
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
    return flat;
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
