package org.xla4j.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * stopGradient and customVjp on the CPU, a small MLP's loss gradient over its parameter tree against finite
 * differences on sampled parameters (f64, h = 1e-6, tolerance 1e-6 relative), and plain SGD memorizing a
 * batch (f32).
 */
class TrainingGradTest {
  private static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  private static double[] randn(Random rnd, int n, double scale) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) a[i] = scale * rnd.nextGaussian();
    return a;
  }

  private static double[] run1(Graph g, Tensor out, HostTensor... args) {
    try (Executable exe = GradCheck.compile(cpu, g, List.of(out))) {
      return exe.execute(List.of(args)).get(0).toDoubleArray();
    }
  }

  @Test
  void stopGradientMakesItsInputAConstant() {
    // d/dx sum(x * stop(x)) = stop(x) = x (not 2x)
    Graph g = new Graph("stop");
    Tensor x = g.parameter(DType.F64, 4);
    Tree<Tensor> grad = Autodiff.grad(p -> p.get("x").mul(Autodiff.stopGradient(p.get("x"))).sum())
        .apply(Tree.of(Map.of("x", x)));
    double[] in = {0.5, -1.25, 2, 3};
    assertArrayEquals(in, run1(g, grad.get("x"), HostTensor.ofDoubles(in, 4)), 0);
  }

  /** exp with its backward given by hand, using the forward's output as the residual, times {@code scale}. */
  private static Function<Tree<Tensor>, Tree<Tensor>> customExp(double scale) {
    return Autodiff.customVjp(in -> {
      Tensor y = in.get("x").exp();
      return Autodiff.Forward.of(Tree.of(Map.of("y", y)), Tree.of(Map.of("y", y)));
    }, (res, ct) -> Tree.of(Map.of("x", ct.get("y").mul(res.get("y")).mul(scale))));
  }

  @Test
  void aCustomVjpsBackwardIsTheOneUsed() {
    Tree<TensorType> types = Tree.of(Map.of("x", TensorType.of(DType.F64, 2, 3)));
    Tree<double[]> data = Tree.of(Map.of("x", randn(new Random(3), 6, 1)));
    Function<Tree<Tensor>, Tensor> f = p -> customExp(1).apply(Tree.of(Map.of("x", p.get("x").mul(p.get("x")))))
        .get("y").tanh();
    GradCheck.check(cpu, "custom exp", types, data, f, 1e-6, 1e-6, 64);
    // a backward that is off by 10% is used as given, so the finite differences catch it
    Function<Tree<Tensor>, Tensor> wrong = p -> customExp(1.1).apply(p).get("y");
    AssertionFailedError e = assertThrows(AssertionFailedError.class,
        () -> GradCheck.check(cpu, "wrong custom exp", types, data, wrong, 1e-6, 1e-6, 64));
    assertTrue(e.getMessage().contains("finite difference"), e.getMessage());
  }

  @Test
  void bf16GradientWithF32AccumulationRunsAndMatchesF32() {
    // the same loss in bf16 (matmul accumulating in f32) and in f32; bf16 keeps 8 significant bits, so the
    // gradients agree to 2^-6 relative to the largest entry
    Random rnd = new Random(21);
    double[] w = randn(rnd, 4 * 3, 0.5);
    double[] x = randn(rnd, 2 * 4, 1);
    double[][] got = new double[2][];
    DType[] types = {DType.F32, DType.BF16};
    for (int k = 0; k < 2; k++) {
      DType d = types[k];
      Graph g = new Graph("half");
      Tensor wt = g.parameter(TensorType.of(d, 4, 3));
      Tensor xt = g.parameter(TensorType.of(d, 2, 4));
      Tree<Tensor> grad = Autodiff.grad(t -> xt.matmul(t.get("w"), DType.F32).tanh().square().sum())
          .apply(Tree.of(Map.of("w", wt)));
      got[k] = run1(g, grad.get("w").astype(DType.F32), HostTensor.ofDoubles(d, wt.shape(), w),
          HostTensor.ofDoubles(d, xt.shape(), x));
    }
    double max = 0;
    for (double v : got[0]) max = Math.max(max, Math.abs(v));
    for (int i = 0; i < got[0].length; i++) {
      assertEquals(got[0][i], got[1][i], max / 64, "dL/dw[" + i + "] in bf16 vs f32");
    }
  }

  // ---- a two-layer MLP with softmax cross-entropy ----

  static final int IN = 6;
  static final int HIDDEN = 8;
  static final int CLASSES = 4;
  static final int BATCH = 8;

  static Tree<TensorType> mlpTypes(DType d) {
    return Tree.of(Map.of("l1/w", TensorType.of(d, IN, HIDDEN), "l1/b", TensorType.of(d, HIDDEN),
        "l2/w", TensorType.of(d, HIDDEN, CLASSES), "l2/b", TensorType.of(d, CLASSES)));
  }

  /** Mean cross-entropy of tanh-MLP logits against one-hot labels. */
  static Tensor mlpLoss(Tree<Tensor> p, Tensor x, Tensor labels) {
    Tensor h = x.matmul(p.get("l1/w")).add(p.get("l1/b")).tanh();
    Tensor logits = h.matmul(p.get("l2/w")).add(p.get("l2/b"));
    return logits.logSoftmax(-1).mul(labels.oneHot(CLASSES, logits.dtype())).sum(-1).mean().neg();
  }

  static Tree<double[]> mlpInit(Random rnd) {
    return Tree.of(Map.of("l1/w", randn(rnd, IN * HIDDEN, 0.5), "l1/b", randn(rnd, HIDDEN, 0.1),
        "l2/w", randn(rnd, HIDDEN * CLASSES, 0.5), "l2/b", randn(rnd, CLASSES, 0.1)));
  }

  @Test
  void mlpLossGradientMatchesFiniteDifferencesOnSampledParameters() {
    Random rnd = new Random(11);
    double[] xs = randn(rnd, BATCH * IN, 1);
    int[] ys = new int[BATCH];
    for (int i = 0; i < BATCH; i++) ys[i] = rnd.nextInt(CLASSES);
    List<GradCheck.Point> points = GradCheck.check(cpu, "mlp", mlpTypes(DType.F64), mlpInit(rnd), p -> {
      Graph g = p.get("l1/w").graph();
      return mlpLoss(p, g.constant(xs, BATCH, IN), g.constant(ys, BATCH));
    }, 1e-6, 1e-6, 6);
    assertEquals(4 * 6 - 2, points.size(), "6 samples per leaf, all of l2/b's 4");
  }

  @Test
  void sgdMemorizesABatch() {
    // one compiled step (params, x, labels) -> (loss, params - lr * grad), called in a Java loop
    Graph g = new Graph("sgd_step");
    Tree<TensorType> types = mlpTypes(DType.F32);
    Tree<Tensor> params = g.parameters(types);
    Tensor x = g.parameter(DType.F32, BATCH, IN);
    Tensor labels = g.parameter(TensorType.of(DType.I32, BATCH));
    Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(p -> mlpLoss(p, x, labels)).apply(params);
    Tree<Tensor> next = params.zip(vg.grad(), (w, dw) -> w.sub(dw.mul(0.5)));
    List<Tensor> outs = new ArrayList<>();
    outs.add(vg.value());
    outs.addAll(next.leaves());

    Random rnd = new Random(5);
    List<HostTensor> state = new ArrayList<>();
    Tree<double[]> init = mlpInit(rnd);
    for (String path : types.paths()) {
      TensorType t = types.get(path);
      state.add(HostTensor.ofDoubles(t.dtype(), t.shape(), init.get(path)));
    }
    float[] xv = new float[BATCH * IN];
    for (int i = 0; i < xv.length; i++) xv[i] = (float) rnd.nextGaussian();
    int[] yv = new int[BATCH];
    for (int i = 0; i < BATCH; i++) yv[i] = rnd.nextInt(CLASSES);
    HostTensor xh = HostTensor.of(xv, BATCH, IN);
    HostTensor yh = HostTensor.ofInts(yv, BATCH);
    List<Double> losses = new ArrayList<>();
    try (Executable step = GradCheck.compile(cpu, g, outs)) {
      for (int it = 0; it < 200; it++) {
        List<HostTensor> args = new ArrayList<>(state);
        args.add(xh);
        args.add(yh);
        List<HostTensor> out = step.execute(args);
        losses.add((double) out.get(0).toFloatArray()[0]);
        state = out.subList(1, out.size());
      }
    }
    System.out.println("sgd loss every 20 steps: " + every(losses, 20) + ", last " + losses.get(losses.size() - 1));
    double first = losses.get(0);
    double last = losses.get(losses.size() - 1);
    assertTrue(first > 0.8, "an untrained 4-class loss is near ln 4, got " + first);
    assertTrue(last < 0.05, "after 200 steps the batch is memorized: loss " + first + " -> " + last
        + " (every 20th: " + every(losses, 20) + ")");
    for (int i = 20; i < losses.size(); i += 20) {
      assertTrue(losses.get(i) < losses.get(i - 20), "loss falls over each 20 steps: " + every(losses, 20));
    }
  }

  private static List<String> every(List<Double> xs, int n) {
    List<String> r = new ArrayList<>();
    for (int i = 0; i < xs.size(); i += n) r.add(String.format("%.4f", xs.get(i)));
    return r;
  }
}
