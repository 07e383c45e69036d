package org.xla4j.models.nn;

import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.types.DType;

/** Normalization over the last axis, computed in f32 (f64 for f64 input) and returned in the input's dtype. */
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
    Tensor f = x.astype(compute(x));
    Tensor y = f.mul(f.square().mean(-1, true).add(eps).rsqrt());
    if (weight != null) y = y.mul(weight.astype(f.dtype()));
    return y.astype(x.dtype());
  }

  /** LayerNorm: {@code (x - mean) / sqrt(var + eps) * scale + bias}; scale and bias may be null. */
  public static Tensor layerNorm(Tensor x, Tensor scale, Tensor bias, double eps) {
    Tensor f = x.astype(compute(x));
    Tensor mu = f.mean(-1, true);
    Tensor c = f.sub(mu);
    Tensor y = c.mul(c.square().mean(-1, true).add(eps).rsqrt());
    if (scale != null) y = y.mul(scale.astype(f.dtype()));
    if (bias != null) y = y.add(bias.astype(f.dtype()));
    return y.astype(x.dtype());
  }

  /**
   * L2 normalization, {@code torch.nn.functional.normalize(x, dim=-1)}: {@code x / max(||x||, eps)} over the
   * last axis (eps 1e-12 there). Unlike {@link #rmsNorm} it does not multiply by sqrt(n): unit-length rows.
   * Used by cosine-similarity attention (zeta/PaLM's qk_rmsnorm), which then scales the logits by a fixed factor.
   */
  public static Tensor l2Normalize(Tensor x, double eps) {
    Tensor f = x.astype(compute(x));
    return f.div(f.square().sum(-1, true).sqrt().maximum(eps)).astype(x.dtype());
  }

  /** f64 stays f64 (so gradient checks see no f32 rounding); every other float type computes in f32. */
  static DType compute(Tensor x) {
    return x.dtype() == DType.F64 ? DType.F64 : DType.F32;
  }
}
