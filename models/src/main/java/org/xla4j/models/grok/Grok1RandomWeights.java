package org.xla4j.models.grok;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Fixed-seed random parameters for a {@link Grok1Config} (bf16 format), for demos and smoke runs without a
 * checkpoint: matrices ~ N(0, 1/in), embeddings ~ N(0, 1), router ~ N(0, 0.25), norm scales ~ 1 + N(0, 0.01).
 *
 * <pre>{@code
 * Map<String, HostTensor> p = Grok1RandomWeights.generate(Grok1Config.tiny(), 0);   // path -> tensor, flatten order
 * }</pre>
 */
public final class Grok1RandomWeights {
  private Grok1RandomWeights() {}

  /** One tensor per leaf of {@code c.parameterTypes()}, in its flatten order. */
  public static Map<String, HostTensor> generate(Grok1Config c, long seed) {
    if (c.weightFormat() != WeightFormat.BF16) {
      throw new IllegalArgumentException("Grok1RandomWeights makes bf16 weights, got format " + c.weightFormat());
    }
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Tree.Leaf<TensorType> leaf : c.parameterTypes()) {
      TensorType t = leaf.value();
      String p = leaf.path();
      float[] f = new float[Math.toIntExact(t.numElements())];
      boolean scale = p.endsWith("/scale");
      double std = scale ? 0.1 : p.endsWith("/embeddings") ? 1.0 : p.endsWith("router/w") ? 0.5
          : 1 / Math.sqrt(t.shape().dim(t.rank() - 2));
      for (int i = 0; i < f.length; i++) f[i] = (float) ((scale ? 1 : 0) + std * gaussian(r));
      out.put(p, HostTensor.of(t.dtype() == DType.BF16 ? DType.BF16 : DType.F32, t.shape(), f));
    }
    return out;
  }

  private static double gaussian(SplittableRandom r) {
    // Box-Muller: SplittableRandom has no nextGaussian on every JDK we target
    double u = 1 - r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
  }
}
