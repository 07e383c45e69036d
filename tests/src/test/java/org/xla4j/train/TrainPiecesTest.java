package org.xla4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.train.AdamW;
import org.xla4j.models.train.BlockwiseCrossEntropy;
import org.xla4j.models.train.TrainStep;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * BPT's training pieces on the CPU against plain-Java oracles: blockwise cross entropy's value and its
 * gradients (the analytic softmax-minus-one-hot gradient in f64 loops; f32 tolerance 1e-5 relative to
 * max(1, |x|)), AdamW over three steps with clipping active (1e-5), and a compiled training step that
 * memorizes a batch.
 */
class TrainPiecesTest {
  private static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  private static float[] randn(Random r, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (scale * r.nextGaussian());
    return a;
  }

  private static List<HostTensor> run(Graph g, List<Tensor> outs, HostTensor... args) {
    String text = StableHloPrinter.print(g.build(outs.toArray(Tensor[]::new)), EmitOptions.unsharded());
    try (Executable exe = cpu.compile(text, CompileOptions.defaults())) {
      return exe.execute(List.of(args));
    }
  }

  private static void close(String what, double[] want, float[] got, double tol) {
    assertEquals(want.length, got.length, what);
    for (int i = 0; i < want.length; i++) {
      assertTrue(Math.abs(want[i] - got[i]) <= tol * Math.max(1, Math.abs(want[i])),
          what + "[" + i + "]: want " + want[i] + ", got " + got[i]);
    }
  }

  @Test
  void blockwiseCrossEntropyMatchesTheOracleInValueAndGradient() {
    int b = 2, t = 3, d = 4, v = 12, chunk = 4;
    Random r = new Random(3);
    float[] h = randn(r, b * t * d, 1);
    float[] w = randn(r, d * v, 1);
    int[] tok = new int[b * t];
    for (int i = 0; i < tok.length; i++) tok[i] = r.nextInt(v);
    int[] valid = {1, 1, 0, 1, 0, 1};
    // oracle: dense logits in f64, softmax - onehot for the gradient
    double loss = 0;
    int count = 0;
    double[] dh = new double[h.length];
    double[] dw = new double[w.length];
    for (int i = 0; i < b * t; i++) count += valid[i];
    for (int i = 0; i < b * t; i++) {
      double[] z = new double[v];
      double m = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < v; c++) {
        for (int k = 0; k < d; k++) z[c] += (double) h[i * d + k] * w[k * v + c];
        m = Math.max(m, z[c]);
      }
      double s = 0;
      for (int c = 0; c < v; c++) s += Math.exp(z[c] - m);
      double lse = m + Math.log(s);
      if (valid[i] == 0) continue;
      loss += (lse - z[tok[i]]) / count;
      for (int c = 0; c < v; c++) {
        double dz = (Math.exp(z[c] - lse) - (c == tok[i] ? 1 : 0)) / count;
        for (int k = 0; k < d; k++) {
          dh[i * d + k] += dz * w[k * v + c];
          dw[k * v + c] += dz * h[i * d + k];
        }
      }
    }
    for (boolean dense : new boolean[] {false, true}) {
      Graph g = new Graph("ce");
      Tree<Tensor> p = Tree.of(Map.of("h", g.parameter(DType.F32, b, t, d), "w", g.parameter(DType.F32, d, v)));
      Tensor tokens = g.parameter(DType.I32, b, t);
      Tensor mask = g.parameter(DType.I32, b, t).ne(0L);
      Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(q -> dense
          ? BlockwiseCrossEntropy.denseLoss(q.get("h"), q.get("w"), tokens, mask)
          : BlockwiseCrossEntropy.loss(q.get("h"), q.get("w"), tokens, mask, chunk)).apply(p);
      List<HostTensor> out = run(g, List.of(vg.value(), vg.grad().get("h"), vg.grad().get("w")),
          HostTensor.of(h, b, t, d), HostTensor.of(w, d, v), HostTensor.ofInts(tok, b, t), HostTensor.ofInts(valid, b, t));
      String what = dense ? "dense" : "blockwise";
      close(what + " loss", new double[] {loss}, out.get(0).toFloatArray(), 1e-5);
      close(what + " dh", dh, out.get(1).toFloatArray(), 1e-5);
      close(what + " dw", dw, out.get(2).toFloatArray(), 1e-5);
    }
  }

  @Test
  void blockwiseCrossEntropyNeverBuildsTheFullLogits() {
    Graph g = new Graph("ce_big");
    Tree<Tensor> p = Tree.of(Map.of("h", g.parameter(DType.BF16, 2, 64, 32), "w", g.parameter(DType.BF16, 32, 4096)));
    Tensor tokens = g.parameter(DType.I32, 2, 64);
    Tensor mask = g.ones(DType.PRED, 2, 64);
    Autodiff.ValueAndGrad vg = Autodiff.valueAndGrad(q -> BlockwiseCrossEntropy.loss(q.get("h"), q.get("w"), tokens,
        mask, 512)).apply(p);
    String text = StableHloPrinter.print(g.build(vg.value(), vg.grad().get("w")), EmitOptions.unsharded());
    assertTrue(text.contains("tensor<2x64x512xf32>"), "chunked logits expected");
    assertTrue(!text.contains("tensor<2x64x4096xf32>"), "the full [B, T, V] f32 logits must not appear");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BlockwiseCrossEntropy.loss(
        p.get("h"), p.get("w"), tokens, mask, 300));
    assertTrue(e.getMessage().contains("chunk dividing V=4096"), e.getMessage());
  }

  @Test
  void adamWMatchesPlainJavaOverThreeStepsWithClipping() {
    AdamW opt = new AdamW(0.05, 0.9, 0.99, 1e-8, 0.1, 0.5);
    Random r = new Random(5);
    float[] w0 = randn(r, 6, 1);
    float[][] gs = {randn(r, 6, 2), randn(r, 6, 0.01), randn(r, 6, 3)}; // step 2 is below the clip norm
    Graph g = new Graph("adamw");
    Tree<Tensor> params = Tree.of(Map.of("a/w", g.parameter(DType.F32, 2, 3)));
    Tree<Tensor> state = opt.init(params);
    List<Tensor> grads = new ArrayList<>();
    for (int s = 0; s < 3; s++) grads.add(g.parameter(DType.F32, 2, 3));
    for (Tensor gr : grads) {
      AdamW.Update u = opt.update(params, Tree.of(Map.of("a/w", gr)), state);
      params = u.params();
      state = u.state();
    }
    List<HostTensor> out = run(g, List.of(params.get("a/w"), state.get("count")), HostTensor.of(w0, 2, 3),
        HostTensor.of(gs[0], 2, 3), HostTensor.of(gs[1], 2, 3), HostTensor.of(gs[2], 2, 3));
    // plain Java AdamW (optax: clip_by_global_norm, then adamw)
    double[] w = new double[6];
    double[] m = new double[6];
    double[] v = new double[6];
    for (int i = 0; i < 6; i++) w[i] = w0[i];
    for (int s = 0; s < 3; s++) {
      double norm = 0;
      for (float x : gs[s]) norm += (double) x * x;
      norm = Math.sqrt(norm);
      double scale = norm > 0.5 ? 0.5 / norm : 1;
      for (int i = 0; i < 6; i++) {
        double gr = gs[s][i] * scale;
        m[i] = 0.9 * m[i] + 0.1 * gr;
        v[i] = 0.99 * v[i] + 0.01 * gr * gr;
        double mh = m[i] / (1 - Math.pow(0.9, s + 1));
        double vh = v[i] / (1 - Math.pow(0.99, s + 1));
        w[i] -= 0.05 * (mh / (Math.sqrt(vh) + 1e-8) + 0.1 * w[i]);
      }
    }
    close("adamw w", w, out.get(0).toFloatArray(), 1e-5);
    close("adamw count", new double[] {3}, out.get(1).toFloatArray(), 0);
  }

  @Test
  void compiledTrainStepMemorizesABatch() {
    int n = 8, din = 4, hid = 16, classes = 3;
    Tree<TensorType> pt = Tree.of(Map.of("l1/w", TensorType.of(DType.F32, din, hid), "l1/b", TensorType.of(DType.F32, hid),
        "l2/w", TensorType.of(DType.F32, hid, classes)));
    Tree<TensorType> bt = Tree.of(Map.of("x", TensorType.of(DType.F32, n, din), "y", TensorType.of(DType.I32, n)));
    TrainStep step = TrainStep.build(pt, bt, (p, b) -> {
      Tensor hdn = b.get("x").matmul(p.get("l1/w")).add(p.get("l1/b")).tanh();
      Tensor logits = hdn.matmul(p.get("l2/w"));
      Tensor lse = logits.exp().sum(1).log();
      return lse.sub(logits.mul(b.get("y").oneHot(classes, DType.F32)).sum(1)).mean();
    }, new AdamW(0.05, 0.9, 0.999, 1e-8, 0.0, 10));
    Random r = new Random(1);
    Tree<HostTensor> init = Tree.of(Map.of("l1/w", HostTensor.of(randn(r, din * hid, 0.5), din, hid),
        "l1/b", HostTensor.of(new float[hid], hid), "l2/w", HostTensor.of(randn(r, hid * classes, 0.5), hid, classes)));
    int[] y = new int[n];
    for (int i = 0; i < n; i++) y[i] = r.nextInt(classes);
    Tree<HostTensor> batch = Tree.of(Map.of("x", HostTensor.of(randn(r, n * din, 1), n, din), "y",
        HostTensor.ofInts(y, n)));
    double first;
    double last = Double.NaN;
    try (TrainStep.Loop loop = step.start(cpu, init)) {
      first = loop.step(batch);
      for (int i = 0; i < 150; i++) last = loop.step(batch);
      assertEquals(16 * 4, loop.params().get("l1/w").toFloatArray().length);
    }
    assertTrue(first > 0.5 && last < 0.05, "loss " + first + " -> " + last);
  }
}
