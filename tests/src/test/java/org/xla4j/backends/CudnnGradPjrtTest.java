package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.cli.Main;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionInputs;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.testsupport.StdStreams;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * CUDNN attention's gradients (its customVjp: the training forward and {@code __cudnn$fmha…Backward})
 * against BLOCKWISE's (its scan-form backward) on a CUDA PJRT device: dq, dk, dv of {@code sum(out · ct)}
 * for a random f32 cotangent, the loss {@code attention compare --grad} uses. Skipped without a plugin.
 *
 * <p>Tolerance (bf16 gradients, both sides rounded): max|Δ| ≤ 5e-2 · max(1, max|BLOCKWISE gradient|) per
 * gradient, {@code attention compare --grad}'s bf16 tolerance. A wrong operand order, layout or scale in
 * the backward call is off by the size of the gradient itself.
 */
class CudnnGradPjrtTest {
  private static final double TOL = 5e-2;

  record Case(String name, int b, int s, int h, int hkv, int d, boolean causal, boolean bias, double multiplier) {}

  @Test
  void causalGqaGradientsMatchBlockwise() {
    check(BackendUnderTest.pjrtOrSkip(), new Case("causal GQA", 2, 512, 8, 2, 64, true, false, 1.0));
  }

  @Test
  void biasAndOutputMultiplierGradientsMatchBlockwise() {
    check(BackendUnderTest.pjrtOrSkip(), new Case("bias, multiplier 0.5", 1, 256, 4, 4, 128, false, true, 0.5));
  }

  @Test
  void attentionCompareGradHasACudnnRow() {
    BackendUnderTest.pjrtOrSkip();
    String text = StdStreams.out(() -> Main.run("attention", "compare", "--grad", "--backend", "pjrt", "--dtype",
        "bf16", "--mechanisms", "cudnn,blockwise", "--batch", "1", "--seq", "256", "--heads", "4", "--kv-heads", "2",
        "--head-dim", "64", "--causal", "--runs", "1", "--iters", "1"));
    String grads = text.substring(text.indexOf("gradients of"));
    String cudnn = grads.lines().filter(l -> l.startsWith("CUDNN")).findFirst().orElse("");
    assertTrue(cudnn.contains("PASS"), "the CUDNN gradient row should pass:\n" + text);
  }

  private static void check(Backend b, Case c) {
    SplittableRandom rnd = new SplittableRandom(11);
    TensorType qt = TensorType.of(DType.BF16, c.b(), c.s(), c.h(), c.d());
    TensorType kt = TensorType.of(DType.BF16, c.b(), c.s(), c.hkv(), c.d());
    List<HostTensor> args = new ArrayList<>(List.of(random(rnd, qt, 1), random(rnd, kt, 1), random(rnd, kt, 1),
        random(rnd, TensorType.of(DType.F32, qt.shape().dims()), 1)));
    if (c.bias()) args.add(random(rnd, TensorType.of(DType.F32, c.h(), c.s(), c.s()), 0.5));
    float[][] cudnn = grads(b, c, Mechanism.CUDNN, args);
    float[][] blockwise = grads(b, c, Mechanism.BLOCKWISE, args);
    String[] names = {"dq", "dk", "dv"};
    for (int i = 0; i < 3; i++) {
      double maxRef = 0;
      double maxDiff = 0;
      for (int j = 0; j < blockwise[i].length; j++) {
        maxRef = Math.max(maxRef, Math.abs(blockwise[i][j]));
        double d = Math.abs(cudnn[i][j] - blockwise[i][j]);
        maxDiff = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(maxDiff, d);
      }
      System.out.printf(Locale.ROOT, "CUDNN vs BLOCKWISE %s, %s: max|d| %.3e, max|ref| %.3e%n", c.name(), names[i],
          maxDiff, maxRef);
      assertTrue(maxRef > 1e-3, c.name() + ": " + names[i] + " of BLOCKWISE is all zero, nothing was compared");
      assertTrue(maxDiff <= TOL * Math.max(1, maxRef), c.name() + ": " + names[i] + " max|CUDNN - BLOCKWISE| "
          + maxDiff + " > " + TOL + " * max(1, " + maxRef + ")");
    }
  }

  /** dq, dk, dv (as f32) of sum(out · ct) for one mechanism. */
  private static float[][] grads(Backend b, Case c, Mechanism m, List<HostTensor> args) {
    Graph g = new Graph("cudnn_grad_" + m.name().toLowerCase(Locale.ROOT));
    Tree<Tensor> p = Tree.of(Map.of("q", g.parameter(args.get(0).type()), "k", g.parameter(args.get(1).type()),
        "v", g.parameter(args.get(2).type())));
    Tensor ct = g.parameter(args.get(3).type());
    Tensor bias = c.bias() ? g.parameter(args.get(4).type()) : null;
    AttentionOptions o = AttentionOptions.builder().mechanism(m).causal(c.causal()).attnOutputMultiplier(c.multiplier())
        .chunks(128, 128).platform(b.platformName()).build();
    AttentionInputs in = bias == null ? AttentionInputs.none() : AttentionInputs.none().withBias(bias);
    Tree<Tensor> gr = Autodiff.grad(t -> Attention.apply(o, t.get("q"), t.get("k"), t.get("v"), in)
        .astype(DType.F32).mul(ct).sum()).apply(p);
    String text = StableHloPrinter.print(g.build(gr.get("q"), gr.get("k"), gr.get("v")), EmitOptions.unsharded());
    try (Executable exe = b.compile(text, CompileOptions.defaults())) {
      List<HostTensor> out = exe.execute(args);
      assertEquals(3, out.size());
      return new float[][] {out.get(0).toFloatArray(), out.get(1).toFloatArray(), out.get(2).toFloatArray()};
    }
  }

  private static HostTensor random(SplittableRandom rnd, TensorType t, double scale) {
    int n = Math.toIntExact(t.shape().numElements());
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      // Box-Muller
      double u = 1 - rnd.nextDouble();
      double v = rnd.nextDouble();
      a[i] = (float) (scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    }
    return HostTensor.of(t.dtype(), Shape.of(t.shape().dims()), a);
  }
}
