package org.xla4j.models.nn;

import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.types.DType;

/**
 * xPos (Sun et al., "A Length-Extrapolatable Transformer"): rotary embedding with an exponential decay
 * per pair, {@code zeta_i = (2i/D + 0.4) / 1.4} raised to {@code n / scaleBase} for position n; queries
 * are multiplied by it and keys divided, so q_n·k_m decays with n - m only. Adjacent-pair rotation as
 * {@link Rope#applyRotaryEmb} (torchscale's rotate_every_two). Positions are used as given (torchscale
 * centers them around 0 for range; the products are the same).
 */
public final class XPos {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private XPos() {}

  /** The rotated and scaled (q, k); {@code positions} integer [S] or [B, S]. */
  public static Tensor[] apply(Tensor q, Tensor k, Tensor positions, double theta, double scaleBase) {
    long d = q.dim(3);
    Rope.Freqs f = Rope.precomputeFreqs(positions, (int) d, theta);
    Tensor up = scale(positions, d, scaleBase);
    Tensor qs = Rope.applyRotaryEmb(q, new Rope.Freqs(f.cos().mul(up), f.sin().mul(up)));
    Tensor down = up.rdiv(1.0);
    Tensor ks = Rope.applyRotaryEmb(k, new Rope.Freqs(f.cos().mul(down), f.sin().mul(down)));
    return new Tensor[] {qs, ks};
  }

  /** zeta^(n / scaleBase): [..., D/2] f32 for positions [...]. */
  public static Tensor scale(Tensor positions, long d, double scaleBase) {
    Graph g = positions.graph();
    Tensor zeta = g.arange(0, d, 2, DType.F32).add(0.4 * d).div(1.4 * d);
    Tensor n = positions.astype(DType.F32).expandDims(-1).div(scaleBase);
    return zeta.log().mul(n).exp();
  }
}
