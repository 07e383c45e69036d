package org.xla4j.models.llama;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * Fixed-seed random parameters for a {@link LlamaConfig}, in its dtype, for demos and smoke runs without a
 * checkpoint: matrices ~ N(0, 1/in), embeddings ~ N(0, 1), biases ~ N(0, 0.01), norm weights ~ 1 + N(0, 0.01).
 *
 * <pre>{@code
 * Map<String, HostTensor> p = LlamaRandomWeights.generate(LlamaConfig.tiny(), 0);   // path -> tensor, tree order
 * }</pre>
 */
public final class LlamaRandomWeights {
  private LlamaRandomWeights() {}

  /** One tensor per leaf of {@code c.parameterTypes()}, in its order. */
  public static Map<String, HostTensor> generate(LlamaConfig c, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Tree.Leaf<TensorType> leaf : c.parameterTypes()) {
      TensorType t = leaf.value();
      String p = leaf.path();
      boolean scale = p.endsWith("/scale");
      double std = scale || p.endsWith("/b") ? 0.1 : p.endsWith("/embeddings") ? 1.0 : 1 / Math.sqrt(t.shape().dim(0));
      float[] f = new float[Math.toIntExact(t.numElements())];
      for (int i = 0; i < f.length; i++) f[i] = (float) ((scale ? 1 : 0) + std * gaussian(r));
      out.put(p, HostTensor.of(t.dtype(), t.shape(), f));
    }
    return out;
  }

  private static double gaussian(SplittableRandom r) {
    double u = 1 - r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
  }
}
