package org.xla4j.dsl;

import java.util.Arrays;
import java.util.List;
import org.xla4j.ir.Precision;
import org.xla4j.types.DType;

/**
 * The static, several-operand functions of {@code jax.numpy}: einsum, where, concatenate, stack.
 * Single-tensor functions are methods of {@link Tensor}.
 *
 * <pre>{@code
 * Tensor scores = Jnp.einsum("bqhd,bkhd->bhqk", q, k);
 * Tensor masked = Jnp.where(mask, scores, -1e9);
 * }</pre>
 */
public final class Jnp {
  private Jnp() {}

  /**
   * {@code jnp.einsum} of one or two operands, as one dot_general plus at most one transpose.
   * Supports batch, contracted, free and summed-out letters; an implicit output ("ij,jk") means the
   * letters used once, sorted. Rejects ellipsis and letters repeated within one operand.
   */
  public static Tensor einsum(String spec, Tensor... operands) { return Einsum.einsum(spec, null, operands); }

  /**
   * {@link #einsum(String, Tensor...)} with the dot's preferred element type, e.g. f32 accumulation
   * of bf16 inputs: {@code Jnp.einsum("bqd,bkd->bqk", DType.F32, q, k)}.
   */
  public static Tensor einsum(String spec, DType preferred, Tensor... operands) {
    return Einsum.einsum(spec, preferred, operands);
  }

  /**
   * {@link #einsum(String, DType, Tensor...)} with the dot's precision (null preferred: the operands' type), e.g.
   * full f32 products where a GPU would use TF32 by default:
   * {@code Jnp.einsum("btd,vd->btv", null, Precision.HIGHEST, h, table)}.
   */
  public static Tensor einsum(String spec, DType preferred, Precision precision, Tensor... operands) {
    return Einsum.einsum(spec, preferred, java.util.Objects.requireNonNull(precision, "precision"), operands);
  }

  /**
   * {@code jnp.where(cond, a, b)}: elementwise choice, with broadcasting of all three and promotion
   * of {@code a} and {@code b}. A non-pred {@code cond} means {@code cond != 0}.
   */
  public static Tensor where(Tensor cond, Tensor a, Tensor b) { return Elementwise.where(cond, a, b); }

  /** {@code jnp.where(cond, a, scalar)}: the scalar is weak (takes a's float type). */
  public static Tensor where(Tensor cond, Tensor a, double b) { return where(cond, a, a.weak(b)); }

  /** {@code jnp.where(cond, a, integer)}: the scalar is weak (takes a's type). */
  public static Tensor where(Tensor cond, Tensor a, long b) { return where(cond, a, a.weak("where", b)); }

  /** {@code jnp.where(cond, scalar, b)}. */
  public static Tensor where(Tensor cond, double a, Tensor b) { return where(cond, b.weak(a), b); }

  public static Tensor where(Tensor cond, long a, Tensor b) { return where(cond, b.weak("where", a), b); }

  /** {@code jnp.concatenate(xs, axis)}; dtypes promote to their common type. */
  public static Tensor concat(int axis, Tensor... xs) { return ShapeOps.concat(axis, Arrays.asList(xs)); }

  public static Tensor concat(int axis, List<Tensor> xs) { return ShapeOps.concat(axis, xs); }

  /** {@code jnp.stack(xs, axis)}: joins equal shapes along a new axis. */
  public static Tensor stack(int axis, Tensor... xs) { return ShapeOps.stack(axis, Arrays.asList(xs)); }

  public static Tensor stack(int axis, List<Tensor> xs) { return ShapeOps.stack(axis, xs); }

  /** {@code jnp.matmul(a, b)}; see {@link Tensor#matmul}. */
  public static Tensor matmul(Tensor a, Tensor b) { return a.matmul(b); }

  public static Tensor zerosLike(Tensor x) { return x.graph().zeros(x.type()); }

  public static Tensor onesLike(Tensor x) { return x.graph().ones(x.type()); }

  public static Tensor fullLike(Tensor x, double value) { return x.graph().full(x.type(), value); }

  /** Elementwise maximum with promotion and broadcasting. */
  public static Tensor maximum(Tensor a, Tensor b) { return a.maximum(b); }

  public static Tensor minimum(Tensor a, Tensor b) { return a.minimum(b); }

}
