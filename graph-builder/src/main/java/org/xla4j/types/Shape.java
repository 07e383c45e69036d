package org.xla4j.types;

import java.util.Arrays;

/**
 * A static tensor shape: an immutable list of non-negative dimension sizes. Rank 0 is a scalar.
 *
 * <pre>{@code
 * Shape s = Shape.of(8, 128, 768);
 * s.rank();            // 3
 * s.numElements();     // 786432
 * }</pre>
 */
public final class Shape {
  private static final Shape SCALAR = new Shape(new long[0]);
  private final long[] dims;

  private Shape(long[] dims) {
    this.dims = dims;
  }

  public static Shape of(long... dims) {
    if (dims.length == 0) return SCALAR;
    for (long d : dims) {
      if (d < 0) throw new IllegalArgumentException("shape dimensions must be >= 0, got " + Arrays.toString(dims));
    }
    return new Shape(dims.clone());
  }

  public static Shape of(int... dims) {
    return of(Arrays.stream(dims).asLongStream().toArray());
  }

  public static Shape of(java.util.List<? extends Number> dims) {
    return of(dims.stream().mapToLong(Number::longValue).toArray());
  }

  public static Shape scalar() { return SCALAR; }

  public int rank() { return dims.length; }

  public long dim(int axis) { return dims[axis]; }

  /** A copy of the dimensions. */
  public long[] dims() { return dims.clone(); }

  /** The dimensions as ints; throws if a dimension does not fit. */
  public int[] intDims() {
    int[] r = new int[dims.length];
    for (int i = 0; i < r.length; i++) r[i] = Math.toIntExact(dims[i]);
    return r;
  }

  public long numElements() {
    long n = 1;
    for (long d : dims) n = Math.multiplyExact(n, d);
    return n;
  }

  /** Normalizes a possibly negative axis (-1 is the last one) and checks it is in range. */
  public int axis(int axis) {
    int a = axis < 0 ? axis + dims.length : axis;
    if (a < 0 || a >= dims.length) {
      throw new IllegalArgumentException("axis " + axis + " is out of range for a rank-" + dims.length + " shape " + this);
    }
    return a;
  }

  /** A copy with dimension {@code axis} replaced. */
  public Shape with(int axis, long size) {
    long[] d = dims.clone();
    d[axis(axis)] = size;
    return new Shape(d);
  }

  /** A copy without the given (normalized) axes. */
  public Shape without(int... axes) {
    boolean[] drop = new boolean[dims.length];
    for (int a : axes) drop[axis(a)] = true;
    long[] d = new long[dims.length - (int) java.util.stream.IntStream.range(0, dims.length).filter(i -> drop[i]).count()];
    for (int i = 0, j = 0; i < dims.length; i++) if (!drop[i]) d[j++] = dims[i];
    return of(d);
  }

  /** Concatenation of two shapes' dimensions. */
  public Shape append(Shape other) {
    long[] d = Arrays.copyOf(dims, dims.length + other.dims.length);
    System.arraycopy(other.dims, 0, d, dims.length, other.dims.length);
    return of(d);
  }

  /** "2x3x4" as used inside {@code tensor<...>}; empty for a scalar. */
  public String mlirDims() {
    StringBuilder sb = new StringBuilder();
    for (long d : dims) sb.append(d).append('x');
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() { return Arrays.hashCode(dims); }

  @Override
  public String toString() { return Arrays.toString(dims); }
}
