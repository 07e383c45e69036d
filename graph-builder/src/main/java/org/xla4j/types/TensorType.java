package org.xla4j.types;

/**
 * The static type of a tensor value: element type plus shape.
 *
 * <pre>{@code
 * TensorType.of(DType.F32, 2, 3).mlir();   // "tensor<2x3xf32>"
 * }</pre>
 */
public record TensorType(DType dtype, Shape shape) {
  public TensorType {
    java.util.Objects.requireNonNull(dtype, "dtype");
    java.util.Objects.requireNonNull(shape, "shape");
  }

  public static TensorType of(DType dtype, long... dims) { return new TensorType(dtype, Shape.of(dims)); }

  public static TensorType of(DType dtype, int... dims) { return new TensorType(dtype, Shape.of(dims)); }

  public static TensorType scalar(DType dtype) { return new TensorType(dtype, Shape.scalar()); }

  public int rank() { return shape.rank(); }

  public long dim(int axis) { return shape.dim(shape.axis(axis)); }

  public long numElements() { return shape.numElements(); }

  public long byteSize() { return Math.multiplyExact(shape.numElements(), dtype.byteSize()); }

  public TensorType withDType(DType d) { return new TensorType(d, shape); }

  public TensorType withShape(Shape s) { return new TensorType(dtype, s); }

  /** The StableHLO spelling, e.g. {@code tensor<2x3xbf16>} or {@code tensor<f32>}. */
  public String mlir() { return "tensor<" + shape.mlirDims() + dtype.mlir() + ">"; }

  /** Parses {@code tensor<2x3xf32>} (the inverse of {@link #mlir()}). */
  public static TensorType parse(String text) {
    String t = text.strip();
    if (!t.startsWith("tensor<") || !t.endsWith(">")) {
      throw new IllegalArgumentException("not a ranked tensor type: '" + text + "'");
    }
    String body = t.substring(7, t.length() - 1);
    String[] parts = body.split("x");
    // the element type itself may contain no 'x'; all parts but the last are dims
    long[] dims = new long[parts.length - 1];
    for (int i = 0; i < dims.length; i++) {
      try {
        dims[i] = Long.parseLong(parts[i]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("dynamic or malformed dimension '" + parts[i] + "' in '" + text
            + "'; only static shapes are supported");
      }
    }
    return new TensorType(DType.fromMlir(parts[parts.length - 1]), Shape.of(dims));
  }

  @Override
  public String toString() { return mlir(); }
}
