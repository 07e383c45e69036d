package org.xla4j.models.quant;

import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.OpException;
import org.xla4j.ir.Precision;
import org.xla4j.types.DType;

/**
 * A bias-free linear layer {@code x [..., in] · W [in, out] -> [..., out]} in x's dtype, for plain or int8
 * weights (Grok-1's {@code Linear}: {@code jnp.dot(x, w.astype(x.dtype))}).
 *
 * <pre>{@code
 * Tensor q = Linear.apply(x, Weight.of(wq), QuantMode.DEQUANTIZE);   // [B, T, D] -> [B, T, Hq·Dh]
 * }</pre>
 */
public final class Linear {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private Linear() {}

  public static Tensor apply(Tensor x, Weight w, QuantMode mode) {
    return apply(x, w, mode, Precision.DEFAULT);
  }

  /**
   * {@link #apply(Tensor, Weight, QuantMode)} with the dot's precision: HIGHEST asks for full f32 products where a
   * GPU would use TF32 for f32 operands.
   */
  public static Tensor apply(Tensor x, Weight w, QuantMode mode, Precision precision) {
    java.util.Objects.requireNonNull(precision, "precision");
    Tensor m = w.stored();
    if (m.rank() != 2 || x.rank() < 1 || x.dim(-1) != m.dim(0)) {
      throw new OpException("linear", "requires x [..., in] and a weight [in, out] with equal in, got x " + x.type()
          + " and weight " + m.type(), CallSite.find(""));
    }
    return switch (w) {
      case Weight.Dense d -> x.matmul(d.w().astype(x.dtype()), null, precision);
      case Weight.Int8 q -> mode == QuantMode.DEQUANTIZE ? x.matmul(q.matrix().astype(x.dtype()), null, precision)
          : scaledAfter(x, q, precision);
    };
  }

  /** {@code Σ_b (x_b · weight_b) · scales[b]} in f32, back to x's dtype. */
  static Tensor scaledAfter(Tensor x, Weight.Int8 q, Precision precision) {
    long in = q.weight().dim(0);
    long out = q.weight().dim(1);
    long nb = q.blocks();
    long[] xs = x.shape().dims();
    long[] blocked = java.util.Arrays.copyOf(xs, xs.length + 1);
    blocked[xs.length - 1] = nb;
    blocked[xs.length] = in / nb;
    Tensor xb = x.reshape(blocked);
    Tensor wb = q.weight().astype(x.dtype()).reshape(nb, in / nb, out);
    Tensor yb = Jnp.einsum(letters(xs.length - 1) + "zi,zio->" + letters(xs.length - 1) + "zo", DType.F32, precision, xb, wb);
    return yb.mul(q.scales().astype(DType.F32)).sum(-2).astype(x.dtype());
  }

  private static String letters(int n) { return "abcdefgh".substring(0, n); }
}
