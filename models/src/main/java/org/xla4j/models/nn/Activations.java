package org.xla4j.models.nn;

import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/** Activation functions (f32 inside for half types). */
public final class Activations {
  static {
    org.xla4j.ir.CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private Activations() {}

  /**
   * GELU. {@code approximate} (jax.nn.gelu's default, GPT-2's gelu_new):
   * {@code 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))}; otherwise exact {@code 0.5x(1 + erf(x/sqrt 2))}.
   */
  public static Tensor gelu(Tensor x, boolean approximate) {
    Tensor f = x.astype(x.dtype() == DType.F64 ? DType.F64 : DType.F32);
    Tensor inner = approximate
        ? f.add(f.mul(f).mul(f).mul(0.044715)).mul(Math.sqrt(2 / Math.PI)).tanh()
        : f.mul(1 / Math.sqrt(2)).erf();
    return f.mul(0.5).mul(inner.add(1.0)).astype(x.dtype());
  }

  public static Tensor silu(Tensor x) { return x.mul(x.sigmoid()); }
}
