package org.xla4j.autodiff;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.zeta.LoraConfig;
import org.xla4j.models.zeta.LoraTarget;
import org.xla4j.models.zeta.ZetaBlock;
import org.xla4j.models.zeta.ZetaBlockConfig;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The gradient of a scalar loss of ZetaBlock with respect to its LoRA adapters (A and B on q, k, v and o),
 * reverse mode against central finite differences, in f64 (the block computes in f64 for f64 inputs):
 * |ad - fd| <= 1e-6 · max(1, |fd|) with h = 1e-5 (measured worst about 1e-10). Causal, padding mask, qk-norm
 * and xPos all on; VANILLA and flash (BLOCKWISE) attention.
 */
class ZetaBlockGradTest {
  static final ZetaBlockConfig CONFIG = ZetaBlockConfig.builder(8).heads(2).dimHead(4).ffMult(2).causal(true)
      .qkRmsNorm(true).qkScale(4).useXpos(true).xposScaleBase(8)
      .lora(new LoraConfig(2, 3, EnumSet.allOf(LoraTarget.class))).build();

  @Test
  void loraGradientMatchesFiniteDifferences() {
    check("zeta block lora", CONFIG, 6);
  }

  /** flash_attn: BLOCKWISE's own backward (a scan over key chunks; chunk 2 does not divide S = 5), in f64. */
  @Test
  void loraGradientThroughFlashAttnMatchesFiniteDifferences() {
    check("zeta block lora, flash", CONFIG.toBuilder().flashAttn(true).flashChunk(2).build(), 3);
  }

  private static void check(String name, ZetaBlockConfig c, int perLeaf) {
    long b = 2;
    long s = 5;
    Tree<TensorType> all = ZetaBlock.parameterTypes(c, DType.F64);
    Tree<TensorType> lora = all.filter(p -> p.startsWith("lora/"));
    Tree<TensorType> base = all.filter(p -> !p.startsWith("lora/"));
    Random r = new Random(42);
    Tree<double[]> baseData = base.map(t -> random(r, t, 0.5));
    double[] x = random(r, TensorType.of(DType.F64, b, s, c.dim()), 1);
    // B non-zero, else every dL/dA is zero
    Tree<double[]> loraData = lora.map(t -> random(r, t, 0.4));
    int[] keep = {1, 1, 1, 1, 0, 1, 1, 1, 1, 1};
    Function<Tree<Tensor>, Tensor> f = p -> {
      Graph g = p.leaves().get(0).graph();
      Tree<Tensor> params = baseData.zip(base, (d, t) -> g.constant(DType.F64, d, t.shape().dims())).merge(p);
      Tensor xt = g.constant(DType.F64, x, b, s, c.dim());
      Tensor mask = g.constant(keep, b, s);
      return ZetaBlock.forward(c, params, xt, mask, ZetaBlock.Options.eval());
    };
    try (Backend cpu = Backends.open("cpu")) {
      List<GradCheck.Point> points = GradCheck.check(cpu, name, lora, loraData, f, 1e-5, 1e-6, perLeaf);
      assertTrue(points.size() == perLeaf * 8, "checked " + perLeaf + " elements of each of the 8 adapter matrices, got "
          + points.size());
      long nonZero = points.stream().filter(pt -> Math.abs(pt.numeric()) > 1e-3).count();
      assertTrue(nonZero > points.size() / 2, "most checked derivatives are not ~0: " + nonZero + " of " + points.size());
    }
  }

  private static double[] random(Random r, TensorType t, double scale) {
    double[] v = new double[Math.toIntExact(t.numElements())];
    for (int i = 0; i < v.length; i++) v[i] = scale * r.nextGaussian();
    return v;
  }
}
