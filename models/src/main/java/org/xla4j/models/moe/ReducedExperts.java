package org.xla4j.models.moe;

import org.xla4j.dsl.Tensor;
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
    return matvec(Experts.hidden(a, v, o), w.linear1(), q);
  }

  /**
   * {@code x [in] · w [1, in, out] -> [out]}, summed in f32 and rounded to x's dtype like a dot's result. Every
   * case is the same single reduction over axis 0 of an {@code [in, out]} elementwise product (the form measured
   * copy-free with bf16 weights), so int8 weights are read as int8 and converted inside the reduction:
   * <ul>
   *   <li>float weights: {@code Σ_i f32(W[i, o]) · x[i]};</li>
   *   <li>int8, {@link QuantMode#SCALE_AFTER}, one scale per output column ({@code nb = 1}):
   *       {@code s[o] · Σ_i f32(q[i, o]) · x[i]}, the scale after the reduction;</li>
   *   <li>int8, SCALE_AFTER, scales per block of inputs ({@code nb > 1}): {@code Σ_i f32(q[i, o]) · f32(s[i / (in / nb),
   *       o]) · x[i]}. Summing each block first and scaling after would reduce the middle axis of
   *       {@code [nb, in / nb, out]}, which XLA may not fuse with its input (the H200 round 2 wrote an f32 copy
   *       of the weight there); the product {@code q · s} is exact in f32, so this is the same sum;</li>
   *   <li>int8, {@link QuantMode#DEQUANTIZE}: {@code Σ_i f32(bf16(q[i, o] · s[.., o])) · x[i]} (Grok-1's rounding of W).</li>
   * </ul>
   */
  static Tensor matvec(Tensor x, Weight w, QuantMode mode) {
    long in = x.dim(0);
    Tensor xf = x.astype(DType.F32).reshape(in, 1);
    Tensor sum = switch (w) {
      case Weight.Dense d -> d.w().reshape(in, d.w().dim(2)).astype(x.dtype()).astype(DType.F32).mul(xf).sum(0);
      case Weight.Int8 q -> {
        long out = q.weight().dim(2);
        Tensor wq = q.weight().reshape(in, out);
        if (mode == QuantMode.DEQUANTIZE) {
          yield wq.astype(q.scales().dtype()).mul(rowScales(q, in, out).astype(q.scales().dtype()))
              .astype(x.dtype()).astype(DType.F32).mul(xf).sum(0);
        }
        if (q.blocks() == 1) yield wq.astype(DType.F32).mul(xf).sum(0).mul(q.scales().astype(DType.F32).reshape(out));
        yield wq.astype(DType.F32).mul(rowScales(q, in, out).astype(DType.F32)).mul(xf).sum(0);
      }
    };
    return sum.astype(x.dtype());
  }

  /** The scale of each weight entry, {@code s[i / (in / nb), o]} as {@code [in, out]} (a broadcast; never written). */
  private static Tensor rowScales(Weight.Int8 q, long in, long out) {
    long nb = q.blocks();
    return q.scales().reshape(nb, 1, out).broadcastTo(nb, in / nb, out).reshape(in, out);
  }
}
