package org.xla4j.models.nn;

import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.types.DType;

/** Normalization over the last axis, computed in f32 and returned in the input's dtype. */
public final class Norms {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private Norms() {}

  /**
   * RMSNorm: {@code x / sqrt(mean(x^2) + eps) * weight} over the last axis; weight (last-axis sized) may
   * be null. Also QK-norm: on queries or keys [B, S, H, D] it normalizes each head vector, with one
   * weight [D] shared by the heads.
   */
  public static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
    Tensor f = x.astype(DType.F32);
    Tensor y = f.mul(f.square().mean(-1, true).add(eps).rsqrt());
    if (weight != null) y = y.mul(weight.astype(DType.F32));
    return y.astype(x.dtype());
  }

  /** LayerNorm: {@code (x - mean) / sqrt(var + eps) * scale + bias}; scale and bias may be null. */
  public static Tensor layerNorm(Tensor x, Tensor scale, Tensor bias, double eps) {
    Tensor f = x.astype(DType.F32);
    Tensor mu = f.mean(-1, true);
    Tensor c = f.sub(mu);
    Tensor y = c.mul(c.square().mean(-1, true).add(eps).rsqrt());
    if (scale != null) y = y.mul(scale.astype(DType.F32));
    if (bias != null) y = y.add(bias.astype(DType.F32));
    return y.astype(x.dtype());
  }
}
