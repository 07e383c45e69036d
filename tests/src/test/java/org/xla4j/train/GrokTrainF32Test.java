package org.xla4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.checkpoint.CheckpointTensor;
import org.xla4j.cli.TinyCheckpoints;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.Precision;
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
import org.xla4j.runtime.Safetensors;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * {@code xla4j train --compute f32} (f32 activations, HIGHEST dot precision: the agreement run of
 * scripts/device-train.sh) on the tiny Grok-1 fixture, on the CPU, against independent oracles:
 * <ul>
 *   <li>step 1's loss: the cross entropy (plain Java, f64) of scripts/grok_reference.py's f32 logits (numpy, f64
 *       matmul accumulation, no bf16 rounding anywhere);</li>
 *   <li>the gradient: central finite differences of the loss, coordinate by coordinate, on sampled coordinates of
 *       every parameter leaf (possible in f32 compute: in bf16 a small step of a weight rounds away);</li>
 *   <li>10 steps: the command's losses against a plain-Java f64 loop of global-norm clipping + AdamW (optax's
 *       equations) driven by that gradient.</li>
 * </ul>
 */
class GrokTrainF32Test {
  @TempDir
  static Path dir;

  private static Backend cpu;
  private static Path model;
  private static Path tokens;
  private static GrokTraining training;
  private static Tree<HostTensor> master;
  private static Tree<HostTensor> batch;
  /** Row 0 of the fixture's tokens: 5, 17, 3, 99, 42, 7, 0, 0 (two pads at the end). */
  private static int[] row;

  @BeforeAll
  static void setUp() throws IOException {
    cpu = Backends.open("cpu");
    model = TinyCheckpoints.grokHf(Files.createDirectories(dir.resolve("grok-tiny")), false);
    try (ModelDir d = ModelDir.open(model)) {
      Grok1Config c = d.grok1Config();
      training = new GrokTraining(c, Grok1.Options.defaults().withCompute(DType.F32, Precision.HIGHEST));
      Tree<CheckpointTensor> p = d.parameters(c.parameterTypes());
      master = ModelDir.read(p, LoadProgress.NONE).map(h -> HostTensor.of(h.astype(DType.F32).toFloatArray(),
          h.shape().dims()));
    }
    row = Arrays.copyOf(TinyCheckpoints.grokIo("tokens").toIntArray(), 8);
    tokens = dir.resolve("tokens.safetensors");
    Safetensors.write(tokens, Map.of("tokens", HostTensor.ofInts(row, row.length)));
    batch = Tree.of(Map.of(GrokTraining.TOKENS, HostTensor.ofInts(row, 1, row.length)));
  }

  @AfterAll
  static void tearDown() { cpu.close(); }

  private static Tree<TensorType> argTypes() {
    return Tree.<TensorType>builder().putAll("params", training.masterTypes()).putAll("batch", training.batchTypes(1, 8))
        .build();
  }

  private static Tree<HostTensor> args(Tree<HostTensor> params) {
    return Tree.<HostTensor>builder().putAll("params", params).putAll("batch", batch).build();
  }

  private static Executable gradProgram() {
    Graph g = new Graph("grok_f32_grad");
    Tree<Tensor> a = g.parameters(argTypes());
    Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(p -> training.loss(p, a.subtree("batch"))).apply(a.subtree("params"));
    return cpu.compile(g.program(Tree.<Tensor>builder().put("loss", vg.value()).putAll("grad", vg.grad()).build()));
  }

  private static Executable lossProgram() {
    Graph g = new Graph("grok_f32_loss");
    Tree<Tensor> a = g.parameters(argTypes());
    return cpu.compile(g.program(training.loss(a.subtree("params"), a.subtree("batch"))));
  }

  private static TinyCheckpoints.Run train(String compute, String... extra) {
    List<String> args = new ArrayList<>(List.of("train", "--model", model.toString(), "--compute", compute, "--data",
        tokens.toString(), "--fixed-batch", "--batch", "1", "--seq", "8", "--plot", dir.resolve("loss.svg").toString()));
    args.addAll(List.of(extra));
    return TinyCheckpoints.cli(args);
  }

  /** Mean over row 0's valid targets of logsumexp(z) - z[target], z = the numpy f32 logits of the full row. */
  private static double oracleLoss() throws IOException {
    HostTensor logits = TinyCheckpoints.grokF32Logits(); // [2, 8, 128]
    int v = (int) logits.shape().dim(2);
    float[] z = logits.toFloatArray();
    double sum = 0;
    int n = 0;
    for (int t = 0; t < row.length - 1; t++) {
      if (row[t + 1] == 0) continue;
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < v; k++) max = Math.max(max, z[t * v + k]);
      double s = 0;
      for (int k = 0; k < v; k++) s += Math.exp(z[t * v + k] - max);
      sum += Math.log(s) + max - z[t * v + row[t + 1]];
      n++;
    }
    return sum / n;
  }

  private static double norm(Tree<HostTensor> g) {
    double s = 0;
    for (HostTensor h : g.leaves()) for (float x : h.toFloatArray()) s += (double) x * x;
    return Math.sqrt(s);
  }

  /** Per coordinate |fd - g| <= TOL_ABS + TOL_REL |g| (see the test). */
  static final double TOL_ABS = 1e-3;
  static final double TOL_REL = 0.02;

  /**
   * Per coordinate: (L(p + h e_i) - L(p - h e_i)) / 2h in f64 from two f32 losses, with h = 1e-2 (no token changes
   * experts: the fixture's smallest top-k router logit margin is 0.27). Noise: the loss (34 on this row) is an f32,
   * whose spacing 3.8e-6 is 1.9e-4 in the quotient (h = 1e-3 made it 1.9e-3, as large as small gradients);
   * measured worst error 4.5e-4, 41% of the tolerance 1e-3 + 2% |g|. Sampled: in every leaf the largest |g|
   * coordinate and two random ones (78 coordinates).
   */

  @Test
  void gradientMatchesFiniteDifferencesCoordinateByCoordinate() {
    double h = 1e-2;
    Random r = new Random(3);
    int checked = 0;
    double worst = 0;
    try (Executable ge = gradProgram(); Executable le = lossProgram()) {
      Tree<HostTensor> grad = ge.executeTree(args(master)).subtree("grad");
      for (String path : master.paths()) {
        float[] g = grad.get(path).toFloatArray();
        int arg = 0;
        for (int i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[arg])) arg = i;
        for (int i : new int[] {arg, r.nextInt(g.length), r.nextInt(g.length)}) {
          double fd = (loss(le, shifted(path, i, h)) - loss(le, shifted(path, i, -h))) / (2 * h);
          double err = Math.abs(fd - g[i]);
          worst = Math.max(worst, err / (TOL_ABS + TOL_REL * Math.abs(g[i])));
          assertEquals(g[i], fd, TOL_ABS + TOL_REL * Math.abs(g[i]), path + "[" + i + "]");
          checked++;
        }
      }
    }
    System.out.printf("grok tiny f32: %d coordinates, worst error %.3f of the tolerance%n", checked, worst);
  }

  private static double loss(Executable le, Tree<HostTensor> params) {
    return le.executeTree(args(params)).get("out0").toDoubleArray()[0];
  }

  private static Tree<HostTensor> shifted(String at, int index, double by) {
    return master.mapWithPath((path, t) -> {
      if (!path.equals(at)) return t;
      float[] x = t.toFloatArray();
      x[index] = (float) (x[index] + by);
      return HostTensor.of(x, t.shape().dims());
    });
  }

  /**
   * The command's 10 losses against the oracle loop: p_1 = the checkpoint; L_t and g_t from the gradient program at
   * p_t; clipping g' = g·min(1, c/|g|) and AdamW m = b1 m + (1-b1) g', v = b2 v + (1-b2) g'², p -= lr (m̂/(sqrt(v̂) +
   * eps) + wd p) in f64 (parameters rounded to f32 between steps, as the program holds them). The clip limit is 0.5 |g_1|,
   * so clipping is active. Step 1 also against the numpy f32 oracle's cross entropy.
   *
   * <p>Tolerances: step 1 vs numpy 2e-5 absolute (f32 against f64 accumulation; measured 1.6e-6); the loop's losses
   * 1e-4 |L| (the step runs AdamW in f32, the loop in f64; measured at most 2.5e-6 relative over the 10 steps).
   */
  @Test
  void tenStepsFollowClippedAdamWOnTheGradientAndStepOneIsTheNumpyLoss() throws IOException {
    double lr = 1e-2;
    double wd = 0.1;
    double b1 = 0.9;
    double b2 = 0.999;
    double eps = 1e-8;
    int steps = 10;
    double clip;
    double[] want = new double[steps];
    try (Executable ge = gradProgram()) {
      Tree<HostTensor> p = master;
      Map<String, double[]> m = new java.util.HashMap<>();
      Map<String, double[]> v = new java.util.HashMap<>();
      Tree<HostTensor> lg = ge.executeTree(args(p));
      clip = 0.5 * norm(lg.subtree("grad"));
      for (int t = 1; t <= steps; t++) {
        if (t > 1) lg = ge.executeTree(args(p));
        want[t - 1] = lg.get("loss").toDoubleArray()[0];
        Tree<HostTensor> g = lg.subtree("grad");
        double s = Math.min(1, clip / norm(g));
        if (t == 1) assertTrue(s < 1, "clipping is active at step 1");
        int step = t;
        p = p.mapWithPath((path, h) -> {
          float[] x = h.toFloatArray();
          float[] gr = g.get(path).toFloatArray();
          double[] mm = m.computeIfAbsent(path, k -> new double[x.length]);
          double[] vv = v.computeIfAbsent(path, k -> new double[x.length]);
          for (int i = 0; i < x.length; i++) {
            double gi = gr[i] * s;
            mm[i] = b1 * mm[i] + (1 - b1) * gi;
            vv[i] = b2 * vv[i] + (1 - b2) * gi * gi;
            double u = mm[i] / (1 - Math.pow(b1, step)) / (Math.sqrt(vv[i] / (1 - Math.pow(b2, step))) + eps);
            x[i] = (float) (x[i] - lr * (u + wd * x[i]));
          }
          return HostTensor.of(x, h.shape().dims());
        });
      }
    }
    Path json = dir.resolve("f32.json");
    TinyCheckpoints.Run r = train("f32", "--steps", String.valueOf(steps), "--lr", String.valueOf(lr), "--weight-decay",
        String.valueOf(wd), "--clip", String.valueOf(clip), "--output", json.toString());
    assertEquals(0, r.rc(), r.out() + r.err());
    assertTrue(r.out().contains("f32 compute, dots at HIGHEST precision"), r.out());
    JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    assertEquals("f32 master weights and AdamW state, f32 compute, HIGHEST dot precision",
        o.get("dtype_policy").getAsString());
    JsonArray losses = o.getAsJsonArray("losses");
    assertEquals(steps, losses.size(), r.out());
    double numpy = oracleLoss();
    double first = losses.get(0).getAsDouble();
    double worst = 0;
    for (int t = 0; t < steps; t++) {
      double got = losses.get(t).getAsDouble();
      worst = Math.max(worst, Math.abs(got - want[t]) / Math.abs(want[t]));
      assertEquals(want[t], got, 1e-4 * Math.abs(want[t]), "loss at step " + (t + 1));
    }
    System.out.printf("grok tiny f32 train: step 1 %.7f, numpy f32 oracle %.7f; 10 steps %.6f -> %.6f, worst rel "
        + "diff to the f64 AdamW loop %.2e%n", first, numpy, first, losses.get(steps - 1).getAsDouble(), worst);
    assertEquals(numpy, first, 2e-5, "step 1 loss against the numpy f32 oracle's cross entropy");
    assertTrue(losses.get(steps - 1).getAsDouble() < first - 0.5, "the loss falls: " + losses);
  }

  /**
   * The precision reaches every dot of the step, forward and backward (projections, attention, the MoE's router,
   * experts and gated sum, the logits): with f32 compute no dot is left at DEFAULT (a GPU would run it in TF32),
   * and the bf16 step's dots stay DEFAULT except the router's f32 ones, HIGHEST at every compute dtype (a TF32
   * router flips near-tied expert choices).
   */
  @Test
  void everyDotOfTheF32StepIsHighest() {
    AdamW opt = new AdamW(1e-3, 0.9, 0.999, 1e-8, 0.1, 1.0);
    String f32 = TrainStep.buildWithMetrics(training.masterTypes(), training.batchTypes(1, 8), training::lossWithMetrics,
        opt).text();
    GrokTraining bf = new GrokTraining(training.config(), Grok1.Options.defaults());
    String bf16 = TrainStep.buildWithMetrics(bf.masterTypes(), bf.batchTypes(1, 8), bf::lossWithMetrics, opt).text();
    long dots = count(f32, "stablehlo.dot_general");
    assertTrue(dots >= 20, "dots in the f32 step: " + dots);
    assertEquals(2 * dots, count(f32, "#stablehlo<precision HIGHEST>"), "both operands of every dot at HIGHEST");
    assertEquals(0, count(f32, "precision DEFAULT"));
    long routerDots = 0;
    for (String line : bf16.split("\n")) {
      if (!line.contains("stablehlo.dot_general") || !line.contains("precision HIGHEST")) continue;
      routerDots++;
      assertTrue(line.contains("-> tensor<") && !line.contains("bf16"), "a HIGHEST dot of the bf16 step is f32: " + line);
    }
    int layers = training.config().numLayers();
    // per layer the router's forward dot and its two backward dots (d x, d router)
    assertTrue(routerDots > 0 && routerDots <= 3L * layers, "HIGHEST dots of the bf16 step: " + routerDots);
    assertTrue(bf16.contains("bf16") && !f32.contains("bf16"), "f32 compute casts nothing to bf16");
  }

  private static long count(String text, String what) {
    long n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) n++;
    return n;
  }

  @Test
  void computeTakesBf16OrF32AndAppliesToCheckpointsOnly() {
    TinyCheckpoints.Run r = train("f16");
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("--compute takes bf16 or f32") && r.err().contains("f16"), r.err());
    r = TinyCheckpoints.cli(List.of("train", "--model", "tiny-llama", "--compute", "f32", "--plot",
        dir.resolve("x.png").toString()));
    assertEquals(2, r.rc());
    assertTrue(r.err().contains("--compute") && r.err().contains("apply to --model DIR"), r.err());
  }
}
