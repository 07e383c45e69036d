package org.xla4j.models.nn;

import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.RngResult;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Inverted dropout with an explicit generator state, so a training step is reproducible: each element is
 * kept with probability {@code 1 - rate} and scaled by {@code 1/(1 - rate)}, else zeroed. The draw is one
 * {@code stablehlo.rng_bit_generator} (THREE_FRY) of u32 words: an element is kept when its word is at least
 * {@code round(rate · 2^32)}, so the keep probability is exact to 2^-32 with no float conversion.
 *
 * <pre>{@code
 * Dropout.Result r = Dropout.apply(h, 0.1, key);   // key: ui64[2], e.g. Rng.key(g, seed) or a program argument
 * Tensor y = r.value();                            // r.state(): the key for the next draw
 * }</pre>
 */
public final class Dropout {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private Dropout() {}

  /** The dropped-out tensor and the generator state after the draw. */
  public record Result(Tensor value, Tensor state) {}

  /** Dropout of {@code x} at {@code rate} in [0, 1); rate 0 returns x and the key unchanged. */
  public static Result apply(Tensor x, double rate, Tensor key) {
    if (!(rate >= 0 && rate < 1)) throw Rope.error("dropout", "requires a rate in [0, 1), got " + rate);
    if (key == null || key.dtype() != DType.U64 || !key.shape().equals(Shape.of(2))) {
      throw Rope.error("dropout", "requires a ui64[2] key (Rng.key or a program argument), got "
          + (key == null ? "null" : key.type()));
    }
    if (!x.dtype().isFloat()) throw Rope.error("dropout", "requires a float tensor, got " + x.type());
    if (rate == 0) return new Result(x, key);
    RngResult bits = Lax.rngBits(key, TensorType.of(DType.U32, x.shape().dims()));
    // rate < 1, but rounding can reach 2^32, which u32 cannot hold
    long threshold = Math.min(Math.round(rate * 4294967296.0), 0xFFFFFFFFL);
    Tensor keep = bits.value().ge(threshold);
    return new Result(Jnp.where(keep, x.mul(1.0 / (1.0 - rate)), 0.0), bits.state());
  }
}
