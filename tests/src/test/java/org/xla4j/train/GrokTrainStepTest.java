package org.xla4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.checkpoint.CheckpointTensor;
import org.xla4j.cli.TinyCheckpoints;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.checkpoint.LoadProgress;
import org.xla4j.models.checkpoint.ModelDir;
import org.xla4j.models.grok.Grok1;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.train.AdamW;
import org.xla4j.models.train.GrokTraining;
import org.xla4j.models.train.TrainStep;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * {@link GrokTraining} on the tiny Grok-1 fixture (bf16 checkpoint, f32 master copy), on the CPU: the gradient of
 * the loss (a program of its own) against central finite differences of the loss along the gradient's direction,
 * and the compiled training step's parameters after two steps against plain-Java clipping + AdamW (optax's
 * equations, in f64) applied to that gradient.
 */
class GrokTrainStepTest {
  @TempDir
  static Path dir;

  private static Backend cpu;
  private static GrokTraining training;
  private static Tree<HostTensor> master;
  private static Tree<HostTensor> batch;

  @BeforeAll
  static void setUp() throws IOException {
    cpu = Backends.open("cpu");
    Path model = TinyCheckpoints.grokHf(Files.createDirectories(dir.resolve("grok-tiny")), false);
    try (ModelDir d = ModelDir.open(model)) {
      Grok1Config c = d.grok1Config();
      training = new GrokTraining(c, Grok1.Options.defaults());
      Tree<CheckpointTensor> p = d.parameters(c.parameterTypes());
      // copies: the read leaves are views of the mapping, which closes with the directory
      master = ModelDir.read(p, LoadProgress.NONE).map(h -> HostTensor.of(h.astype(DType.F32).toFloatArray(),
          h.shape().dims()));
    }
    // both fixture rows: row 1 starts with a pad (its query sees nothing) and row 0 ends with two (no targets)
    batch = Tree.of(Map.of(GrokTraining.TOKENS, TinyCheckpoints.grokIo("tokens")));
  }

  @AfterAll
  static void tearDown() { cpu.close(); }

  /** The loss and its gradient at {@code params}, from a program of their own. */
  private static Tree<HostTensor> lossAndGrad(Tree<HostTensor> params) {
    Graph g = new Graph("grok_grad");
    Tree<Tensor> args = g.parameters(Tree.<org.xla4j.types.TensorType>builder()
        .putAll("params", training.masterTypes()).putAll("batch", training.batchTypes(2, 8)).build());
    Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(p -> training.loss(p, args.subtree("batch"))).apply(
        args.subtree("params"));
    try (Executable exe = cpu.compile(g.program(Tree.<Tensor>builder().put("loss", vg.value())
        .putAll("grad", vg.grad()).build()))) {
      return exe.executeTree(Tree.<HostTensor>builder().putAll("params", params).putAll("batch", batch).build());
    }
  }

  private static double loss(Tree<HostTensor> params, Executable exe) {
    Tree<HostTensor> out = exe.executeTree(Tree.<HostTensor>builder().putAll("params", params).putAll("batch", batch)
        .build());
    return out.get("out0").toDoubleArray()[0];
  }

  private static Executable lossProgram() {
    Graph g = new Graph("grok_loss");
    Tree<Tensor> args = g.parameters(Tree.<org.xla4j.types.TensorType>builder()
        .putAll("params", training.masterTypes()).putAll("batch", training.batchTypes(2, 8)).build());
    return cpu.compile(g.program(training.loss(args.subtree("params"), args.subtree("batch"))));
  }

  /** params + s * dir, leaf by leaf, in f32. */
  private static Tree<HostTensor> shifted(Tree<HostTensor> params, Tree<double[]> dir, double s) {
    return params.mapWithPath((path, h) -> {
      float[] x = h.toFloatArray();
      double[] d = dir.get(path);
      for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] + s * d[i]);
      return HostTensor.of(x, h.shape().dims());
    });
  }

  private static double norm(Tree<HostTensor> grads) {
    double s = 0;
    for (HostTensor h : grads.leaves()) for (float x : h.toFloatArray()) s += (double) x * x;
    return Math.sqrt(s);
  }

  /**
   * The derivative of the loss along the unit gradient direction is |g|. The loss casts the f32 weights to bf16, so
   * a step smaller than the weights' bf16 spacing leaves them unchanged (steps of 1e-3 gave a difference of exactly
   * 0): the step is 0.1, where 0.1 and 0.3 give central differences within 0.1% of each other. Measured: |g| 7.5505,
   * difference 7.266 since the expert products are held in bf16 (7.5499 and 7.374 before; JAX's value_and_grad of
   * scripts/train_jax.py on the same weights and batch: |g| 7.5501).
   * Tolerance 5% of |g|. (Random directions are no good here: a step that moves a token to another expert makes
   * the loss jump.)
   */
  @Test
  void gradientMatchesFiniteDifferencesAlongItsDirection() {
    Tree<HostTensor> lg = lossAndGrad(master);
    Tree<HostTensor> grad = lg.subtree("grad");
    double n = norm(grad);
    assertTrue(n > 0.1, "gradient norm " + n);
    Tree<double[]> unit = grad.map(h -> {
      float[] x = h.toFloatArray();
      double[] d = new double[x.length];
      for (int i = 0; i < x.length; i++) d[i] = x[i] / n;
      return d;
    });
    try (Executable exe = lossProgram()) {
      double l0 = loss(master, exe);
      assertEquals(lg.get("loss").toDoubleArray()[0], l0, 1e-6 * Math.abs(l0), "the loss of both programs");
      double h = 0.1;
      double fd = (loss(shifted(master, unit, h), exe) - loss(shifted(master, unit, -h), exe)) / (2 * h);
      System.out.printf("grok tiny: |g| %.6f, central difference along g %.6f%n", n, fd);
      assertEquals(n, fd, 0.05 * n, "directional derivative along the gradient");
    }
  }

  /**
   * Two steps of clip_by_global_norm then adamw against optax's equations in f64, each on the gradient (from the
   * gradient program) at the step's own parameters: g' = g·min(1, c/|g|), m = b1 m + (1-b1) g', v = b2 v + (1-b2) g'²,
   * p -= lr (m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps) + wd p). The clip limit is 0.6 |g| of step 1, so clipping is active
   * and scales the two steps' gradients differently. Tolerance per element 2e-6 + 2e-6 |p| (f32 arithmetic in the
   * step, f64 here; step 2's update divides two moments of gradients computed by different programs).
   */
  @Test
  void twoStepsAreClippingThenAdamWOnTheGradient() {
    double lr = 1e-2;
    double wd = 0.1;
    double b1 = 0.9;
    double b2 = 0.999;
    Tree<HostTensor> g1 = lossAndGrad(master).subtree("grad");
    double clip = 0.6 * norm(g1);
    TrainStep step = TrainStep.buildWithMetrics(training.masterTypes(), training.batchTypes(2, 8),
        training::lossWithMetrics, new AdamW(lr, b1, b2, 1e-8, wd, clip));
    Tree<HostTensor> p1;
    Tree<HostTensor> p2;
    double[] losses = new double[2];
    try (TrainStep.Loop loop = step.start(cpu, master)) {
      TrainStep.StepOut out = loop.run(batch);
      assertEquals(0L, out.metrics().get("dropped").toLongArray()[0]);
      losses[0] = out.loss();
      p1 = loop.params();
      losses[1] = loop.run(batch).loss();
      p2 = loop.params();
    }
    Tree<HostTensor> lg2 = lossAndGrad(p1);
    Tree<HostTensor> g2 = lg2.subtree("grad");
    double l2 = lg2.get("loss").toDoubleArray()[0];
    assertEquals(l2, losses[1], 1e-6 * Math.abs(l2), "step 2's loss is the loss at step 1's parameters");
    double s1 = Math.min(1, clip / norm(g1));
    double s2 = Math.min(1, clip / norm(g2));
    assertTrue(s1 < 1, "clipping is active at step 1");
    for (String path : master.paths()) {
      float[] p = master.get(path).toFloatArray();
      float[] a = g1.get(path).toFloatArray();
      float[] b = g2.get(path).toFloatArray();
      float[] got1 = p1.get(path).toFloatArray();
      float[] got2 = p2.get(path).toFloatArray();
      for (int i = 0; i < p.length; i++) {
        double m = (1 - b1) * a[i] * s1;
        double v = (1 - b2) * a[i] * s1 * a[i] * s1;
        double w = p[i] - lr * (m / (1 - b1) / (Math.sqrt(v / (1 - b2)) + 1e-8) + wd * p[i]);
        assertEquals(w, got1[i], 2e-6 + 2e-6 * Math.abs(p[i]), path + "[" + i + "] after step 1 (g " + a[i] + ")");
        m = b1 * m + (1 - b1) * b[i] * s2;
        v = b2 * v + (1 - b2) * b[i] * s2 * b[i] * s2;
        w = got1[i] - lr * (m / (1 - b1 * b1) / (Math.sqrt(v / (1 - b2 * b2)) + 1e-8) + wd * got1[i]);
        assertEquals(w, got2[i], 2e-6 + 2e-6 * Math.abs(p[i]), path + "[" + i + "] after step 2 (g " + a[i] + ", "
            + b[i] + ")");
      }
    }
  }
}
