package org.xla4j.dsl;

import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Comparison;
import org.xla4j.ir.Literal;
import org.xla4j.ir.Op;
import org.xla4j.ir.UnaryKind;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/** Elementwise ops with promotion ({@link Promotion}) and broadcasting ({@link Broadcasting}) applied first. */
final class Elementwise {
  private Elementwise() {}

  /** Both operands converted to their common type and broadcast to their common shape. */
  static Tensor[] align(String op, Tensor a, Tensor b) {
    Graph g = Graph.of(op, a, b);
    DType d = Promotion.common(op, g, a, b);
    Shape s = Broadcasting.shape(op, g, a.shape(), b.shape());
    return new Tensor[] {Broadcasting.to(op, a.astype(d), s), Broadcasting.to(op, b.astype(d), s)};
  }

  static Tensor binary(String op, BinaryKind kind, Tensor a, Tensor b) {
    Tensor[] x = align(op, a, b);
    return x[0].graph().emit1(new Op.Binary(kind, x[0].value(), x[1].value()));
  }

  static Tensor emit(BinaryKind kind, Tensor a, Tensor b) {
    return a.graph().emit1(new Op.Binary(kind, a.value(), b.value()));
  }

  /** A constant of {@code type} with every element {@code v}; rejects values the type cannot hold. */
  static Tensor like(String op, TensorType type, long v, Graph g) {
    DType d = type.dtype();
    if (d.isInteger()) {
      boolean fits = d.isUnsigned() ? v >= 0 && (d.bits() == 64 || v < (1L << d.bits()))
          : d.bits() == 64 || (v >= -(1L << (d.bits() - 1)) && v < (1L << (d.bits() - 1)));
      if (!fits) throw g.error(op, "requires a Java scalar that fits " + d.mlir() + ", got " + v);
    }
    if (Math.abs(v) <= (1L << 53)) return g.full(type, v);
    // beyond double's exact range: an exact scalar, then broadcast
    Tensor s = g.constant(Literal.ofLongs(TensorType.scalar(d), v));
    return Broadcasting.to(op, s, type.shape());
  }

  static Tensor unary(UnaryKind kind, Tensor x) {
    return x.graph().emit1(new Op.Unary(kind, x.value()));
  }

  /** Math functions compute in float: pred and integer inputs become f32 first, as jnp does. */
  static Tensor floatUnary(UnaryKind kind, Tensor x) {
    return unary(kind, x.astype(Promotion.toFloat(x.dtype())));
  }

  static Tensor compare(String op, Comparison.Direction dir, Tensor a, Tensor b) {
    Tensor[] x = align(op, a, b);
    return emitCompare(dir, x[0], x[1]);
  }

  static Tensor emitCompare(Comparison.Direction dir, Tensor a, Tensor b) {
    return a.graph().emit1(new Op.Compare(dir, Comparison.Type.forDType(a.dtype()), a.value(), b.value()));
  }

  /** {@code jnp.remainder}: the result takes the divisor's sign (Python's {@code %}), unlike {@code rem}. */
  static Tensor mod(Tensor a, Tensor b) {
    Tensor[] x = align("mod", a, b);
    Tensor r = emit(BinaryKind.REMAINDER, x[0], x[1]);
    if (x[0].dtype().isUnsigned()) return r;
    Tensor zero = r.graph().zeros(r.type());
    Tensor fix = r.ne(zero).and(r.lt(zero).ne(x[1].lt(zero)));
    return Jnp.where(fix, r.add(x[1]), r);
  }

  /** {@code jnp.where}: {@code cond} (non-pred means {@code != 0}) picks from {@code a} or {@code b}. */
  static Tensor where(Tensor cond, Tensor a, Tensor b) {
    Graph g = Graph.of("where", cond, a, b);
    Tensor c = cond.dtype() == DType.PRED ? cond : cond.ne(0L);
    Tensor[] x = align("where", a, b);
    Shape s = Broadcasting.shape("where", g, c.shape(), x[0].shape());
    c = Broadcasting.to("where", c, s);
    return g.emit1(new Op.Select(c.value(), Broadcasting.to("where", x[0], s).value(),
        Broadcasting.to("where", x[1], s).value()));
  }

  /** {@code clamp(lo, x, hi)} in x's type; bounds broadcast to x's shape unless scalar. */
  static Tensor clamp(Tensor lo, Tensor x, Tensor hi) {
    Graph.of("clamp", lo, x, hi);
    Tensor l = lo.astype(x.dtype());
    Tensor h = hi.astype(x.dtype());
    if (l.rank() != 0) l = Broadcasting.to("clamp", l, x.shape());
    if (h.rank() != 0) h = Broadcasting.to("clamp", h, x.shape());
    return x.graph().emit1(new Op.Clamp(l.value(), x.value(), h.value()));
  }
}
