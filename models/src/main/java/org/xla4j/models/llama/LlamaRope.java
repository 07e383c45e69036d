package org.xla4j.models.llama;

import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.nn.Rope;
import org.xla4j.types.DType;

/**
 * Llama's rotary tables: {@code inv_freq = 1 / theta^(arange(0, d, 2) / d)}, optionally rescaled by
 * {@link RopeScaling}, computed in double on the host and embedded as an f32 constant; angles
 * {@code position · inv_freq} in f32, as Hugging Face computes them.
 *
 * <pre>{@code
 * Rope.Freqs f = LlamaRope.freqs(config, g.arange(seq, DType.I32));
 * Tensor q = Rope.applyRotaryHalf(q, f);
 * }</pre>
 */
public final class LlamaRope {
  private LlamaRope() {}

  /** {@code 1 / theta^(2i / dim)} for i < dim/2. */
  public static double[] invFreq(int dim, double theta) {
    double[] inv = new double[dim / 2];
    for (int i = 0; i < inv.length; i++) inv[i] = 1 / Math.pow(theta, (2.0 * i) / dim);
    return inv;
  }

  /** The config's inverse frequencies, scaled when it has {@code rope_scaling}. */
  public static double[] invFreq(LlamaConfig c) {
    double[] inv = invFreq(c.headDim(), c.ropeTheta());
    return c.ropeScaling().map(s -> s.apply(inv)).orElse(inv);
  }

  /** cos and sin tables {@code [..., dim/2]} for integer {@code positions} of any shape. */
  public static Rope.Freqs freqs(LlamaConfig c, Tensor positions) {
    Graph g = positions.graph();
    double[] inv = invFreq(c);
    float[] f = new float[inv.length];
    for (int i = 0; i < f.length; i++) f[i] = (float) inv[i];
    Tensor ang = positions.astype(DType.F32).expandDims(-1).mul(g.constant(f, f.length));
    return new Rope.Freqs(ang.cos(), ang.sin());
  }
}
