package org.xla4j.grok;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.moe.FewTokensForm;
import org.xla4j.models.moe.Moe;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.moe.MoeResult;
import org.xla4j.models.moe.MoeWeights;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.models.quant.Weight;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/**
 * FEW_TOKENS in each of its forms (gather, unrolled slices, a loop of slices, slices reduced in place) and AUTO, against a plain-Java
 * MoE in f64 on the same bf16 inputs (CPU backend), at decode sizes (1 token) and a few tokens (5, 3), with bf16 and with int8 experts.
 *
 * <p>Oracle: f64 routing (softmax of x·router, top-K by probability), each chosen expert's
 * {@code (gelu_tanh(x·W) ⊙ (x·V))·W1} in f64, gated sum with bf16-rounded gates. The program rounds each
 * matmul result to bf16 (relative 2^-8 per rounding, three in a row through values of size ~1), so the
 * tolerance is 2e-2 · max|y| + 2e-2 · |y| per element; a wrong expert or gate is off by a whole expert output.
 */
class MoeFewTokensFormsTest {
  static final int D = 16;
  static final int F = 24;
  static final int E = 6;
  static final int K = 2;
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  @ParameterizedTest
  @ValueSource(ints = {1, 5})
  void everyFormMatchesThePlainJavaLayer(int n) {
    Random r = new Random(40 + n);
    HostTensor x = MoeImplementationsTest.normal(r, DType.BF16, 1.0, n, D);
    HostTensor router = MoeImplementationsTest.normal(r, DType.F32, 0.5, D, E);
    HostTensor w = MoeImplementationsTest.normal(r, DType.BF16, 1 / Math.sqrt(D), E, D, F);
    HostTensor v = MoeImplementationsTest.normal(r, DType.BF16, 1 / Math.sqrt(D), E, D, F);
    HostTensor w1 = MoeImplementationsTest.normal(r, DType.BF16, 1 / Math.sqrt(F), E, F, D);
    Graph g = new Graph("few_tokens_forms");
    Tensor xt = g.parameter(x.type());
    MoeWeights mw = new MoeWeights(g.parameter(router.type()), Weight.of(g.parameter(w.type())),
        Weight.of(g.parameter(v.type())), Weight.of(g.parameter(w1.type())));
    MoeOptions base = MoeOptions.builder().topK(K).platform("cpu").implementation(MoeImplementation.FEW_TOKENS).build();
    List<String> names = new ArrayList<>();
    List<Tensor> outs = new ArrayList<>();
    for (FewTokensForm f : FewTokensForm.values()) {
      MoeResult res = Moe.apply(base.toBuilder().fewTokens(f).build(), xt, mw);
      names.add(f.name());
      outs.add(res.output());
    }
    names.add("AUTO");
    outs.add(Moe.apply(base.withImplementation(MoeImplementation.AUTO), xt, mw).output());
    List<HostTensor> got = GrokHarness.run(cpu, g, List.of(x, router, w, v, w1), outs.toArray(Tensor[]::new));
    double[] want = oracle(n, x.toFloatArray(), router.toFloatArray(), w.toFloatArray(), v.toFloatArray(),
        w1.toFloatArray());
    double max = 0;
    for (double y : want) max = Math.max(max, Math.abs(y));
    assertTrue(max > 0.1, "the layer's output is not trivially small: " + max);
    for (int i = 0; i < names.size(); i++) {
      float[] y = got.get(i).toFloatArray();
      int bad = 0;
      double worst = 0;
      for (int j = 0; j < y.length; j++) {
        double d = Math.abs(y[j] - want[j]);
        worst = Math.max(worst, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
        if (!(d <= 2e-2 * max + 2e-2 * Math.abs(want[j]))) bad++;
      }
      assertEquals(0, bad, names.get(i) + " at N " + n + ": max |diff| " + worst + " (max |y| " + max + ")");
    }
  }

  /**
   * Int8 experts as Grok-1 stores them (scales per output channel for linear and linear_v, per block of 3 input
   * features for linear_1), each form with the scales applied before (DEQUANTIZE) and after (SCALE_AFTER) the
   * matmul, against the f64 layer on the dequantized weights {@code q · s} (not rounded: SCALE_AFTER never rounds
   * W; DEQUANTIZE's bf16 rounding of W is relative 2^-8, inside the same tolerance as above).
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 3})
  void everyFormMatchesThePlainJavaLayerWithInt8Experts(int n) {
    Random r = new Random(70 + n);
    HostTensor x = MoeImplementationsTest.normal(r, DType.BF16, 1.0, n, D);
    HostTensor router = MoeImplementationsTest.normal(r, DType.F32, 0.5, D, E);
    HostTensor[] w = int8(r, D, F, 1);
    HostTensor[] v = int8(r, D, F, 1);
    HostTensor[] w1 = int8(r, F, D, 8);
    Graph g = new Graph("few_tokens_forms_int8");
    Tensor xt = g.parameter(x.type());
    MoeWeights mw = new MoeWeights(g.parameter(router.type()),
        Weight.int8(g.parameter(w[0].type()), g.parameter(w[1].type())),
        Weight.int8(g.parameter(v[0].type()), g.parameter(v[1].type())),
        Weight.int8(g.parameter(w1[0].type()), g.parameter(w1[1].type())));
    List<String> names = new ArrayList<>();
    List<Tensor> outs = new ArrayList<>();
    for (QuantMode q : QuantMode.values()) {
      for (FewTokensForm f : FewTokensForm.values()) {
        MoeOptions o = MoeOptions.builder().topK(K).platform("cpu").implementation(MoeImplementation.FEW_TOKENS)
            .fewTokens(f).quant(q).build();
        names.add(f + " " + q);
        outs.add(Moe.apply(o, xt, mw).output());
      }
    }
    List<HostTensor> got = GrokHarness.run(cpu, g, List.of(x, router, w[0], w[1], v[0], v[1], w1[0], w1[1]),
        outs.toArray(Tensor[]::new));
    double[] want = oracle(n, x.toFloatArray(), router.toFloatArray(), dequantized(w), dequantized(v), dequantized(w1));
    double max = 0;
    for (double y : want) max = Math.max(max, Math.abs(y));
    assertTrue(max > 0.1, "the layer's output is not trivially small: " + max);
    for (int i = 0; i < names.size(); i++) {
      float[] y = got.get(i).toFloatArray();
      int bad = 0;
      double worst = 0;
      for (int j = 0; j < y.length; j++) {
        double d = Math.abs(y[j] - want[j]);
        worst = Math.max(worst, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
        if (!(d <= 2e-2 * max + 2e-2 * Math.abs(want[j]))) bad++;
      }
      assertEquals(0, bad, names.get(i) + " at N " + n + ": max |diff| " + worst + " (max |y| " + max + ")");
    }
  }

  /**
   * REDUCE with int8 experts reads each chosen matrix as one {@code [in, out]} reduction, the structure of the bf16
   * form: the program never splits linear_1 ([F, D] with 8 scale blocks) into {@code [8, F / 8, D]}, whose middle-axis
   * reduction XLA wrote out as an f32 copy of the weight on the H200; and its output is DENSE's on the same int8
   * weights and scale mode (both round each matmul result to bf16: the tolerance of the class comment).
   */
  @ParameterizedTest
  @EnumSource(QuantMode.class)
  void reduceReadsInt8ExpertsAsOneReductionAndMatchesDense(QuantMode q) {
    Random r = new Random(90 + q.ordinal());
    int n = 2;
    HostTensor x = MoeImplementationsTest.normal(r, DType.BF16, 1.0, n, D);
    HostTensor router = MoeImplementationsTest.normal(r, DType.F32, 0.5, D, E);
    HostTensor[] w = int8(r, D, F, 1);
    HostTensor[] v = int8(r, D, F, 1);
    HostTensor[] w1 = int8(r, F, D, 8);
    MoeOptions o = MoeOptions.builder().topK(K).platform("cpu").quant(q).implementation(MoeImplementation.FEW_TOKENS)
        .fewTokens(FewTokensForm.REDUCE).build();
    Graph alone = new Graph("reduce_int8_alone");
    String text = alone.program(Moe.apply(o, alone.parameter(x.type()), int8Weights(alone, router, w, v, w1)).output())
        .text();
    for (String t : new String[] {"8x3x16xi8>", "8x3x16xf32>"}) {
      assertFalse(text.contains(t), "linear_1's weights split into their scale blocks (" + t + ") in:\n" + text);
    }
    Graph g = new Graph("reduce_int8_vs_dense");
    Tensor xt = g.parameter(x.type());
    MoeWeights mw = int8Weights(g, router, w, v, w1);
    Tensor reduced = Moe.apply(o, xt, mw).output();
    Tensor dense = Moe.apply(o.withImplementation(MoeImplementation.DENSE), xt, mw).output();
    List<HostTensor> got = GrokHarness.run(cpu, g, List.of(x, router, w[0], w[1], v[0], v[1], w1[0], w1[1]),
        reduced, dense);
    float[] y = got.get(0).toFloatArray();
    float[] want = got.get(1).toFloatArray();
    double max = 0;
    for (float f : want) max = Math.max(max, Math.abs(f));
    assertTrue(max > 0.1, "the layer's output is not trivially small: " + max);
    for (int j = 0; j < y.length; j++) {
      double d = Math.abs(y[j] - want[j]);
      assertTrue(d <= 2e-2 * max + 2e-2 * Math.abs(want[j]), q + " element " + j + ": REDUCE " + y[j] + " vs DENSE "
          + want[j] + " (max |y| " + max + ")");
    }
  }

  private static MoeWeights int8Weights(Graph g, HostTensor router, HostTensor[] w, HostTensor[] v, HostTensor[] w1) {
    return new MoeWeights(g.parameter(router.type()), Weight.int8(g.parameter(w[0].type()), g.parameter(w[1].type())),
        Weight.int8(g.parameter(v[0].type()), g.parameter(v[1].type())),
        Weight.int8(g.parameter(w1[0].type()), g.parameter(w1[1].type())));
  }

  /** int8 weights [E, in, out] (uniform in ±127) and bf16 scales [E, nb, out] giving entries of size ~1/sqrt(in). */
  private static HostTensor[] int8(Random r, int in, int out, int nb) {
    byte[] q = new byte[E * in * out];
    for (int i = 0; i < q.length; i++) q[i] = (byte) (r.nextInt(255) - 127);
    float[] s = new float[E * nb * out];
    for (int i = 0; i < s.length; i++) s[i] = (float) ((0.5 + r.nextDouble()) / (73 * Math.sqrt(in)));
    return new HostTensor[] {HostTensor.ofBytes(DType.I8, Shape.of(E, in, out), q),
        HostTensor.of(DType.BF16, Shape.of(E, nb, out), s)};
  }

  /** {@code q[e, i, o] · s[e, i / (in / nb), o]} as floats (the product of an int8 and a bf16 is exact in f32). */
  private static float[] dequantized(HostTensor[] qs) {
    long[] dims = qs[0].type().shape().dims();
    int in = (int) dims[1];
    int out = (int) dims[2];
    int nb = (int) qs[1].type().shape().dims()[1];
    float[] q = qs[0].toFloatArray();
    float[] s = qs[1].toFloatArray();
    float[] w = new float[q.length];
    for (int e = 0; e < E; e++) {
      for (int i = 0; i < in; i++) {
        for (int o = 0; o < out; o++) w[(e * in + i) * out + o] = q[(e * in + i) * out + o] * s[(e * nb + i / (in / nb)) * out + o];
      }
    }
    return w;
  }

  /** The layer in f64 on the given (bf16-valued) inputs: y [N, D]. */
  static double[] oracle(int n, float[] x, float[] router, float[] w, float[] v, float[] w1) {
    double[] y = new double[n * D];
    for (int t = 0; t < n; t++) {
      double[] p = new double[E];
      double max = Double.NEGATIVE_INFINITY;
      for (int e = 0; e < E; e++) {
        for (int d = 0; d < D; d++) p[e] += x[t * D + d] * (double) router[d * E + e];
        max = Math.max(max, p[e]);
      }
      double sum = 0;
      for (int e = 0; e < E; e++) sum += p[e] = Math.exp(p[e] - max);
      boolean[] taken = new boolean[E];
      for (int k = 0; k < K; k++) {
        int best = -1;
        for (int e = 0; e < E; e++) if (!taken[e] && (best < 0 || p[e] > p[best])) best = e;
        taken[best] = true;
        double gate = bf16(p[best] / sum);
        double[] h = new double[F];
        for (int f = 0; f < F; f++) {
          double a = 0;
          double b = 0;
          for (int d = 0; d < D; d++) {
            a += x[t * D + d] * (double) w[(best * D + d) * F + f];
            b += x[t * D + d] * (double) v[(best * D + d) * F + f];
          }
          h[f] = 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a * a * a))) * b;
        }
        for (int d = 0; d < D; d++) {
          double o = 0;
          for (int f = 0; f < F; f++) o += h[f] * w1[(best * F + f) * D + d];
          y[t * D + d] += gate * o;
        }
      }
    }
    return y;
  }

  private static double bf16(double v) {
    return HostTensor.of(DType.BF16, Shape.of(1), new float[] {(float) v}).toFloatArray()[0];
  }
}
