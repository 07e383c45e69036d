package org.xla4j.dsl;

import org.xla4j.types.DType;

/**
 * Dtype promotion for binary ops, after JAX's type lattice: {@code pred < integers < floats}.
 *
 * <table>
 *   <caption>Result element type of {@code a op b}</caption>
 *   <tr><th>a</th><th>b</th><th>result</th></tr>
 *   <tr><td>any T</td><td>T</td><td>T</td></tr>
 *   <tr><td>pred</td><td>T</td><td>T</td></tr>
 *   <tr><td>iN / uN</td><td>iM / uM (same signedness)</td><td>the wider</td></tr>
 *   <tr><td>iN</td><td>uM, N &gt; M</td><td>iN</td></tr>
 *   <tr><td>iN</td><td>uM, N &le; M</td><td>the signed type of twice M bits (u8→i16, u16→i32, u32→i64);
 *       u64 has none: an error, cast explicitly</td></tr>
 *   <tr><td>integer</td><td>float F</td><td>F</td></tr>
 *   <tr><td>f16 / bf16 / f32 / f64</td><td>a different float</td><td>the wider; bf16 with f16 → f32</td></tr>
 * </table>
 *
 * <p>Java scalars are <em>weak</em>, as Python scalars are in JAX: they take the tensor's type where
 * it can hold their kind. A {@code double} keeps a float tensor's type and turns pred/integer tensors
 * into f32 ({@code x.mul(2.0)} stays bf16; {@code ints.add(0.5)} is f32). A {@code long} keeps integer
 * and float tensors' types and turns pred into i32.
 *
 * <pre>{@code
 * Promotion.result(DType.BF16, DType.F16);   // F32
 * Promotion.result(DType.I8, DType.U8);      // I16
 * }</pre>
 */
public final class Promotion {
  private Promotion() {}

  /**
   * The common type of two operands of {@code op}, or the op's error (naming both types and the user's
   * call site) when there is none: the one promotion step of every two-operand DSL op.
   */
  static DType common(String op, Graph g, Tensor a, Tensor b) {
    try {
      return result(a.dtype(), b.dtype());
    } catch (IllegalArgumentException e) {
      throw g.error(op, e.getMessage());
    }
  }

  /** The common type of {@code a} and {@code b}; throws IllegalArgumentException for i*+u64. */
  public static DType result(DType a, DType b) {
    if (a == b) return a;
    if (a.isBool()) return b;
    if (b.isBool()) return a;
    if (a.isFloat() && b.isFloat()) {
      if (a.bits() == b.bits()) return DType.F32; // bf16 with f16: neither holds the other
      return a.bits() > b.bits() ? a : b;
    }
    if (a.isFloat()) return a;
    if (b.isFloat()) return b;
    if (a.kind() == b.kind()) return a.bits() >= b.bits() ? a : b;
    DType s = a.kind() == DType.Kind.SIGNED ? a : b;
    DType u = s == a ? b : a;
    if (s.bits() > u.bits()) return s;
    return switch (u) {
      case U8 -> DType.I16;
      case U16 -> DType.I32;
      case U32 -> DType.I64;
      default -> throw new IllegalArgumentException("requires types with a common type, got " + a.mlir() + " and "
          + b.mlir() + " (no signed integer holds both; cast one explicitly)");
    };
  }

  /** The type of {@code t op javaDouble}. */
  public static DType withWeakFloat(DType t) { return t.isFloat() ? t : DType.F32; }

  /** The type of {@code t op javaLong}. */
  public static DType withWeakInt(DType t) { return t.isBool() ? DType.I32 : t; }

  /** The type math functions (exp, sqrt, ...) compute in: floats stay, pred and integers become f32. */
  public static DType toFloat(DType t) { return t.isFloat() ? t : DType.F32; }
}
