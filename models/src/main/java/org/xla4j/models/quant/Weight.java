package org.xla4j.models.quant;

import java.util.function.UnaryOperator;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.OpException;
import org.xla4j.types.DType;

/**
 * A matrix parameter {@code [..., in, out]} (a leading expert axis is allowed), stored either as it is or
 * as Grok-1's {@code QuantizedWeight8bit}: int8 {@code weight [..., in, out]} with bf16 {@code scales
 * [..., nb, out]}, meaning {@code W[i, o] = bf16(weight[i, o] · scales[i / (in / nb), o])}. {@code nb = 1}
 * is one scale per output channel; Grok-1 uses {@code nb = 8} (blocks of input features) for the attention
 * output and the experts' {@code linear_1}.
 *
 * <pre>{@code
 * Weight w = Weight.of(params.get("query/w"));                                   // bf16
 * Weight q = Weight.int8(params.get("query/w"), params.get("query/scales"));    // i8 + bf16 scales
 * Tensor y = Linear.apply(x, q, QuantMode.DEQUANTIZE);
 * }</pre>
 */
public sealed interface Weight {
  /** A plain float matrix. */
  record Dense(Tensor w) implements Weight {
    public Dense {
      if (w.rank() < 2 || !w.dtype().isFloat()) throw error("requires a float matrix [..., in, out], got " + w.type());
    }

    @Override
    public Tensor matrix() { return w; }

    @Override
    public Weight map(UnaryOperator<Tensor> f) { return new Dense(f.apply(w)); }
  }

  /** int8 weights with bf16 scales per output channel ({@code nb = 1}) or per block of input features. */
  record Int8(Tensor weight, Tensor scales) implements Weight {
    public Int8 {
      if (weight.rank() < 2 || weight.dtype() != DType.I8) {
        throw error("requires int8 weights [..., in, out], got " + weight.type());
      }
      int r = weight.rank();
      boolean lead = scales.rank() == r;
      for (int i = 0; lead && i < r - 2; i++) lead = scales.dim(i) == weight.dim(i);
      long nb = scales.rank() == r ? scales.dim(r - 2) : -1;
      if (!lead || !scales.dtype().isFloat() || scales.dim(r - 1) != weight.dim(r - 1) || nb <= 0
          || weight.dim(r - 2) % nb != 0) {
        throw error("requires float scales [..., nb, out] with nb dividing in, for weights " + weight.type()
            + ", got " + scales.type());
      }
    }

    /** Number of scale blocks over the input features. */
    public long blocks() { return scales.dim(scales.rank() - 2); }

    /** {@code bf16(weight · scales)} (exact product of two 8-bit mantissas, one rounding), in the scales' dtype. */
    @Override
    public Tensor matrix() {
      int r = weight.rank();
      long in = weight.dim(r - 2);
      long out = weight.dim(r - 1);
      long nb = blocks();
      long[] blocked = new long[r + 1];
      long[] scaleShape = new long[r + 1];
      for (int i = 0; i < r - 2; i++) {
        blocked[i] = weight.dim(i);
        scaleShape[i] = weight.dim(i);
      }
      blocked[r - 2] = nb;
      blocked[r - 1] = in / nb;
      blocked[r] = out;
      scaleShape[r - 2] = nb;
      scaleShape[r - 1] = 1;
      scaleShape[r] = out;
      Tensor w = weight.astype(scales.dtype()).reshape(blocked).mul(scales.reshape(scaleShape));
      return w.reshape(weight.shape());
    }

    @Override
    public Weight map(UnaryOperator<Tensor> f) { return new Int8(f.apply(weight), f.apply(scales)); }
  }

  /** The float matrix (dequantized for {@link Int8}). */
  Tensor matrix();

  /**
   * The same kind of weight with {@code f} applied to every stored tensor (weight and scales), for selecting
   * along leading axes: {@code experts.map(t -> t.take(ids, 0))} picks experts' matrices and their scales.
   */
  Weight map(UnaryOperator<Tensor> f);

  /** The stored tensor holding the matrix (the float matrix, or the int8 values). */
  default Tensor stored() {
    return switch (this) {
      case Dense d -> d.w();
      case Int8 q -> q.weight();
    };
  }

  /** A plain matrix. */
  static Weight of(Tensor w) { return new Dense(w); }

  /** Grok-1's QuantizedWeight8bit. */
  static Weight int8(Tensor weight, Tensor scales) { return new Int8(weight, scales); }

  private static OpException error(String detail) {
    return new OpException("weight", detail, CallSite.find(""));
  }
}
