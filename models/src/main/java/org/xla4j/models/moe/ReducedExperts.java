package org.xla4j.models.moe;

import org.xla4j.dsl.Tensor;
import org.xla4j.models.nn.Activations;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.models.quant.Weight;
import org.xla4j.types.DType;

/**
 * The expert FFN on one row as elementwise products and reductions instead of dots, for
 * {@link FewTokensForm#REDUCE}: {@code y[o] = Σ_i f32(W[i, o]) · f32(x[i])}. A dot of one row would read a
 * dynamic slice of the weights as its operand, which XLA may first write out; a {@code dynamic_slice ->
 * convert -> multiply -> reduce} chain is one reduction fusion that streams the expert's weights once.
 */
final class ReducedExperts {
  private ReducedExperts() {}

  /** Row {@code x [D]} through one expert {@code w} (each stored tensor {@code [1, ...]}): {@code [D]} in x's dtype. */
  static Tensor ffn(Tensor x, MoeWeights w, MoeOptions o) {
    QuantMode q = o.quant();
    Tensor a = matvec(x, w.linear(), q);
    Tensor v = matvec(x, w.linearV(), q);
    Tensor act = switch (o.activation()) {
      case GELU_TANH -> Activations.gelu(a, true);
      case SILU -> Activations.silu(a);
    };
    return matvec(act.mul(v), w.linear1(), q);
  }

  /**
   * {@code x [in] · w [1, in, out] -> [out]}, summed in f32 and rounded to x's dtype like a dot's result. Int8
   * weights with {@link QuantMode#SCALE_AFTER}: int8 values times x summed per scale block, then times the
   * block's scales and summed over blocks (the scales are {@code [1, nb, out]}, so applied after the reduce).
   */
  static Tensor matvec(Tensor x, Weight w, QuantMode mode) {
    long in = x.dim(0);
    Tensor xf = x.astype(DType.F32);
    if (w instanceof Weight.Int8 q && mode == QuantMode.SCALE_AFTER) {
      long nb = q.blocks();
      long out = q.weight().dim(2);
      Tensor part = q.weight().reshape(nb, in / nb, out).astype(DType.F32)
          .mul(xf.reshape(nb, in / nb, 1)).sum(1);                                  // [nb, out]
      return part.mul(q.scales().astype(DType.F32).reshape(nb, out)).sum(0).astype(x.dtype());
    }
    Tensor m = w.matrix().astype(x.dtype());
    long out = m.dim(2);
    return m.reshape(in, out).astype(DType.F32).mul(xf.reshape(in, 1)).sum(0).astype(x.dtype());
  }
}
