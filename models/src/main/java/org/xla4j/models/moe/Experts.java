package org.xla4j.models.moe;

import java.util.List;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.Precision;
import org.xla4j.models.nn.Activations;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.models.quant.Weight;
import org.xla4j.types.DType;

/** The expert FFN {@code (act(x·W) ⊙ (x·V))·W1} on groups of rows, and the gated combination. */
final class Experts {
  private Experts() {}

  /**
   * Rows {@code xe [G, M, D]} through the experts {@code w} stacked as {@code [G, ...]} (group g uses
   * expert matrices w[g]): {@code [G, M, D]} in x's dtype. Each matmul result is rounded to x's dtype.
   */
  static Tensor ffn(Tensor xe, MoeWeights w, MoeOptions o) {
    return ffnParts(xe, w, o).y();
  }

  /** The FFN's products: {@code a = x·W}, {@code v = x·V} ({@code [G, M, F]}) and the output {@code y}. */
  record Parts(Tensor a, Tensor v, Tensor y) {}

  /** {@link #ffn} with its two first products kept (a backward that has them recomputes no matmul). */
  static Parts ffnParts(Tensor xe, MoeWeights w, MoeOptions o) {
    QuantMode q = o.quant();
    Tensor a = batched(xe, w.linear(), q, o.precision());
    Tensor v = batched(xe, w.linearV(), q, o.precision());
    return new Parts(a, v, batched(hidden(a, v, o), w.linear1(), q, o.precision()));
  }

  /**
   * {@code act(a) ⊙ v}, the rows W1 multiplies; every implementation's FFN goes through here. Half-precision a and v
   * pass an optimization barrier first, which keeps them in their dtype in memory, as written: without it XLA folds
   * the activation's f32 upcast into the GEMMs that make them (excess precision), which then write f32 and this
   * product reads twice the bytes (H200, 2,048-token prefill, [8, 640, 8192] per layer: 134 us, ~20% of the layer's
   * expert time), and implementations (and a forward and its gradient program) round differently on the CPU.
   */
  static Tensor hidden(Tensor a, Tensor v, MoeOptions o) {
    if (a.dtype().byteSize() < 4 && v.dtype().byteSize() < 4) {
      List<Tensor> kept = Lax.optimizationBarrier(a, v);
      a = kept.get(0);
      v = kept.get(1);
    }
    Tensor act = switch (o.activation()) {
      case GELU_TANH -> Activations.gelu(a, true);
      case SILU -> Activations.silu(a);
    };
    return act.mul(v);
  }

  /** {@code [G, M, in] · [G, in, out] -> [G, M, out]} in x's dtype, for plain or int8 weights. */
  static Tensor batched(Tensor x, Weight w, QuantMode mode, Precision precision) {
    DotDims dims = new DotDims(List.of(0), List.of(0), List.of(2), List.of(1));
    if (w instanceof Weight.Int8 q && mode == QuantMode.SCALE_AFTER) {
      long g = x.dim(0);
      long m = x.dim(1);
      long in = x.dim(2);
      long nb = q.blocks();
      long out = q.weight().dim(2);
      Tensor xb = x.reshape(g, m, nb, in / nb);
      Tensor wb = q.weight().astype(x.dtype()).reshape(g, nb, in / nb, out);
      Tensor yb = Jnp.einsum("gmzi,gzio->gmzo", DType.F32, precision, xb, wb);
      return yb.mul(q.scales().astype(DType.F32).reshape(g, 1, nb, out)).sum(2).astype(x.dtype());
    }
    return x.dotGeneral(w.matrix().astype(x.dtype()), dims, precision, null);
  }

  /**
   * Gated sum over the K copies of each token: {@code y [N, K, D]} with gates {@code [N, K]} rounded to
   * {@link MoeOptions#gateDtype} (bf16 for Grok-1), summed in f32, returned in {@code dtype}.
   */
  static Tensor combine(Tensor y, Tensor gates, DType dtype, MoeOptions o) {
    Tensor g = gates.astype(o.gateDtype()).astype(DType.F32);
    return y.astype(DType.F32).mul(g.expandDims(-1)).sum(1).astype(dtype);
  }
}
