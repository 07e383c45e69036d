package org.xla4j.emit;

import java.util.List;
import org.xla4j.ir.Literal;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Typed printers for attribute values. Version-sensitive attribute syntax lives here, in one place
 * (e.g. {@code array<i64: ...>} for dense i64 arrays, which both TF 2.18 and the current plugin read).
 */
final class AttrText {
  private AttrText() {}

  static String i64Array(List<? extends Number> values) {
    if (values.isEmpty()) return "array<i64>";
    StringBuilder sb = new StringBuilder("array<i64: ");
    for (int i = 0; i < values.size(); i++) sb.append(i == 0 ? "" : ", ").append(values.get(i).longValue());
    return sb.append('>').toString();
  }

  /** {@code [0, 1]} as used inside {@code #stablehlo.dot<...>} and friends. */
  static String intList(List<Integer> values) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < values.size(); i++) sb.append(i == 0 ? "" : ", ").append(values.get(i));
    return sb.append(']').toString();
  }

  static String i64(long v) { return v + " : i64"; }

  static String i32(long v) { return v + " : i32"; }

  static String bool(boolean b) { return b ? "true" : "false"; }

  /** A double-quoted MLIR string with escapes. */
  static String string(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') sb.append('\\').append(c);
      else if (c < 0x20 || c > 0x7e) {
        for (byte b : String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
          sb.append('\\').append(String.format("%02X", b & 0xFF));
        }
      } else sb.append(c);
    }
    return sb.append('"').toString();
  }

  /** A 2-D i64 dense attribute, e.g. replica groups {@code dense<[[0, 1]]> : tensor<1x2xi64>}. */
  static String i64Matrix(List<List<Long>> rows) {
    int cols = rows.isEmpty() ? 0 : rows.get(0).size();
    String type = "tensor<" + rows.size() + "x" + cols + "xi64>";
    if (rows.isEmpty() || cols == 0) return "dense<> : " + type;
    StringBuilder sb = new StringBuilder("dense<[");
    for (int r = 0; r < rows.size(); r++) {
      sb.append(r == 0 ? "[" : ", [");
      for (int c = 0; c < cols; c++) sb.append(c == 0 ? "" : ", ").append(rows.get(r).get(c));
      sb.append(']');
    }
    return sb.append("]> : ").append(type).toString();
  }

  /** A layout as {@code dense<[1, 0]> : tensor<2xindex>}. */
  static String layout(List<Integer> minorToMajor) {
    String type = "tensor<" + minorToMajor.size() + "xindex>";
    if (minorToMajor.isEmpty()) return "dense<> : " + type;
    return "dense<" + intList(minorToMajor) + "> : " + type;
  }

  /** {@code dense<...> : tensor<...>}: splats as one number, other data as a hex blob (exact for every float type). */
  static String dense(Literal lit) {
    TensorType t = lit.type();
    if (t.numElements() == 0) return "dense<> : " + t.mlir();
    if (lit.isSplat()) return "dense<" + scalar(lit, 0) + "> : " + t.mlir();
    if (t.dtype() == DType.PRED) {
      StringBuilder sb = new StringBuilder("dense<");
      nested(lit, t.shape().dims(), 0, new long[] {0}, sb);
      return sb.append("> : ").append(t.mlir()).toString();
    }
    byte[] b = lit.bytes();
    StringBuilder sb = new StringBuilder(b.length * 2 + 32).append("dense<\"0x");
    for (byte x : b) {
      sb.append(Character.toUpperCase(Character.forDigit((x >> 4) & 0xF, 16)));
      sb.append(Character.toUpperCase(Character.forDigit(x & 0xF, 16)));
    }
    return sb.append("\"> : ").append(t.mlir()).toString();
  }

  private static void nested(Literal lit, long[] dims, int axis, long[] next, StringBuilder sb) {
    if (axis == dims.length) {
      sb.append(scalar(lit, next[0]++));
      return;
    }
    sb.append('[');
    for (long i = 0; i < dims[axis]; i++) {
      if (i > 0) sb.append(", ");
      nested(lit, dims, axis + 1, next, sb);
    }
    sb.append(']');
  }

  /** One element as MLIR reads it: decimal when exact, hex bit pattern for NaN/Inf. */
  static String scalar(Literal lit, long i) {
    DType d = lit.type().dtype();
    return switch (d.kind()) {
      case BOOL -> lit.getLong(i) != 0 ? "true" : "false";
      case SIGNED -> Long.toString(lit.getLong(i));
      case UNSIGNED -> Long.toUnsignedString(lit.getLong(i));
      case FLOAT -> {
        double v = lit.get(i);
        if (Double.isNaN(v) || Double.isInfinite(v)) yield floatBitsHex(lit, i);
        // The double's shortest repr round-trips exactly, and v is exactly representable in d.
        yield Double.toString(v);
      }
    };
  }

  private static String floatBitsHex(Literal lit, long i) {
    byte[] b = lit.bytes();
    int size = lit.type().dtype().byteSize();
    int off = lit.isSplat() ? 0 : (int) (i * size);
    StringBuilder sb = new StringBuilder("0x");
    for (int k = size - 1; k >= 0; k--) sb.append(String.format("%02X", b[off + k] & 0xFF));
    return sb.toString();
  }
}
