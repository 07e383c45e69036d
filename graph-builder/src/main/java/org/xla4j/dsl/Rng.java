package org.xla4j.dsl;

import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Literal;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Random numbers from {@code stablehlo.rng_bit_generator} (THREE_FRY). The key is the generator's
 * ui64[2] state; every draw returns the state for the next draw.
 *
 * <pre>{@code
 * Tensor key = Rng.key(g, 42);
 * RngResult r = Rng.uniform(key, DType.F32, 128, 128);
 * Tensor noise = r.value();
 * RngResult r2 = Rng.normal(r.state(), DType.F32, 128);
 * }</pre>
 */
public final class Rng {
  private Rng() {}

  /** A ui64[2] generator state from a seed. */
  public static Tensor key(Graph g, long seed) {
    return g.constant(Literal.ofLongs(TensorType.of(DType.U64, 2), seed, 0));
  }

  /**
   * Uniform floats in [0, 1). Bits become floats by the mantissa trick: random mantissa bits under
   * the exponent of 1.0 give a float in [1, 2), minus 1. Half types draw 16-bit words directly, so a
   * value never rounds up to 1.
   */
  public static RngResult uniform(Tensor key, DType dtype, long... shape) {
    if (!dtype.isFloat()) throw key.graph().error("uniform", "requires a float dtype, got " + dtype.mlir());
    int mantissa = switch (dtype) {
      case F16 -> 10;
      case BF16 -> 7;
      case F32 -> 23;
      default -> 52;
    };
    DType word = switch (dtype.bits()) {
      case 16 -> DType.U16;
      case 32 -> DType.U32;
      default -> DType.U64;
    };
    long one = switch (dtype) {
      case F16 -> 0x3C00L;
      case BF16 -> 0x3F80L;
      case F32 -> 0x3F800000L;
      default -> 0x3FF0000000000000L;
    };
    Graph g = key.graph();
    TensorType t = TensorType.of(word, shape);
    RngResult bits = Lax.rngBits(key, t);
    Tensor shift = g.full(t, dtype.bits() - mantissa);
    Tensor m = Elementwise.emit(BinaryKind.SHIFT_RIGHT_LOGICAL, bits.value(), shift);
    Tensor f = Elementwise.emit(BinaryKind.OR, m, Elementwise.like("uniform", t, one, g)).bitcast(dtype);
    return new RngResult(bits.state(), f.sub(1L));
  }

  /** Uniform floats in [lo, hi). */
  public static RngResult uniform(Tensor key, DType dtype, double lo, double hi, long... shape) {
    RngResult u = uniform(key, dtype, shape);
    return new RngResult(u.state(), u.value().mul(hi - lo).add(lo).maximum(lo));
  }

  /** Standard normal floats by Box-Muller over two uniform draws (computed in f32 for half types). */
  public static RngResult normal(Tensor key, DType dtype, long... shape) {
    DType c = dtype == DType.F64 ? DType.F64 : DType.F32;
    RngResult u1 = uniform(key, c, shape);
    RngResult u2 = uniform(u1.state(), c, shape);
    // 1 - u is in (0, 1], so the log is finite
    Tensor r = u1.value().rsub(1.0).log().mul(-2.0).sqrt();
    Tensor z = r.mul(u2.value().mul(2 * Math.PI).cos());
    return new RngResult(u2.state(), z.astype(dtype));
  }
}
