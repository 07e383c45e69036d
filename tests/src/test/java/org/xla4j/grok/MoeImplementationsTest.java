package org.xla4j.grok;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.moe.Moe;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.moe.MoeResult;
import org.xla4j.models.moe.MoeWeights;
import org.xla4j.models.moe.RouterKind;
import org.xla4j.models.quant.Linear;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.models.quant.Weight;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.HalfFloats;
import org.xla4j.types.Shape;

/**
 * The MoE implementations against DENSE on random inputs (CPU backend), capacity drops against a plain-Java
 * count, the aux loss and gates against plain-Java routing, and int8 dequantization against its formula.
 *
 * <p>Tolerance between implementations: 1e-2 absolute + 1e-2 relative on bf16 outputs of size ~1 (bf16 ulp
 * 2^-8): every implementation rounds at the same points; only the f32 accumulation order inside the
 * matmuls differs, which can flip a bf16 rounding.
 */
class MoeImplementationsTest {
  static Backend cpu;
  static final int B = 2;
  static final int T = 12;
  static final int N = B * T;
  static final int D = 16;
  static final int F = 24;
  static final int E = 4;
  static final int K = 2;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  record Inputs(HostTensor x, HostTensor router, HostTensor w, HostTensor v, HostTensor w1) {
    List<HostTensor> list() { return new ArrayList<>(List.of(x, router, w, v, w1)); }
  }

  static Inputs inputs(long seed) {
    Random r = new Random(seed);
    return new Inputs(normal(r, DType.BF16, 1.0, B, T, D), normal(r, DType.F32, 0.5, D, E),
        normal(r, DType.BF16, 1 / Math.sqrt(D), E, D, F), normal(r, DType.BF16, 1 / Math.sqrt(D), E, D, F),
        normal(r, DType.BF16, 1 / Math.sqrt(F), E, F, D));
  }

  static HostTensor normal(Random r, DType dtype, double std, long... dims) {
    float[] f = new float[(int) Shape.of(dims).numElements()];
    for (int i = 0; i < f.length; i++) f[i] = (float) (r.nextGaussian() * std);
    return HostTensor.of(dtype, Shape.of(dims), f);
  }

  @Test
  void everyImplementationEqualsDenseWithoutDrops() {
    Inputs in = inputs(1);
    Graph g = new Graph("moe_all");
    Tensor x = g.parameter(in.x().type());
    MoeWeights w = weights(g, in);
    MoeOptions base = MoeOptions.builder().topK(K).implementation(MoeImplementation.DENSE).build();
    List<Tensor> outs = new ArrayList<>();
    MoeResult dense = Moe.apply(base, x, w);
    outs.add(dense.output());
    List<String> names = new ArrayList<>();
    for (MoeOptions o : List.of(base.withImplementation(MoeImplementation.DROPLESS),
        base.toBuilder().implementation(MoeImplementation.DROPLESS).tileSize(3).build(),
        base.toBuilder().implementation(MoeImplementation.CAPACITY).capacityFactor(E).build(),
        base.withImplementation(MoeImplementation.FEW_TOKENS))) {
      MoeResult r = Moe.apply(o, x, w);
      outs.add(r.output());
      outs.add(r.dropped());
      names.add(o.implementation() + (o.tileSize() > 0 ? " tile " + o.tileSize() : ""));
    }
    List<HostTensor> res = GrokHarness.run(cpu, g, in.list(), outs.toArray(Tensor[]::new));
    float[] ref = res.get(0).toFloatArray();
    assertTrue(GrokHarness.maxDiff(ref, new float[ref.length], null) > 0.1, "DENSE output is not trivially zero");
    for (int i = 0; i < names.size(); i++) {
      float[] got = res.get(1 + 2 * i).toFloatArray();
      System.out.printf("moe %s vs DENSE: max |diff| %.5f%n", names.get(i), GrokHarness.maxDiff(ref, got, null));
      GrokHarness.assertClose(names.get(i) + " vs DENSE", ref, got, null, 1e-2, 1e-2);
      assertEquals(0, res.get(2 + 2 * i).toIntArray()[0], names.get(i) + " dropped");
    }
  }

  @Test
  void capacityDropsAreCountedAsPlainJavaCountsThem() {
    Inputs in = inputs(2);
    double cf = 0.5;
    Graph g = new Graph("moe_capacity");
    Tensor x = g.parameter(in.x().type());
    MoeWeights w = weights(g, in);
    MoeOptions base = MoeOptions.builder().topK(K).implementation(MoeImplementation.DENSE).build();
    MoeResult dense = Moe.apply(base, x, w);
    MoeResult cap = Moe.apply(base.toBuilder().implementation(MoeImplementation.CAPACITY).capacityFactor(cf).build(), x, w);
    List<HostTensor> res = GrokHarness.run(cpu, g, in.list(), dense.output(), cap.output(), cap.dropped(), cap.experts());
    int[] experts = res.get(3).toIntArray();
    // capacity ceil(N·K/E · cf); all first choices (token order) before any second choice
    int c = (int) Math.ceil((double) N * K / E * cf);
    int[] load = new int[E];
    boolean[][] kept = new boolean[N][K];
    int dropped = 0;
    for (int k = 0; k < K; k++) {
      for (int n = 0; n < N; n++) {
        int e = experts[n * K + k];
        kept[n][k] = load[e] < c;
        if (kept[n][k]) load[e]++;
        else dropped++;
      }
    }
    assertTrue(dropped > 0, "capacity factor " + cf + " drops something");
    assertEquals(dropped, res.get(2).toIntArray()[0], "dropped copies");
    float[] ref = res.get(0).toFloatArray();
    float[] got = res.get(1).toFloatArray();
    int full = 0;
    for (int n = 0; n < N; n++) {
      boolean all = kept[n][0] && kept[n][1];
      boolean none = !kept[n][0] && !kept[n][1];
      for (int d = 0; d < D; d++) {
        int i = n * D + d;
        if (all) assertEquals(ref[i], got[i], 1e-2 + 1e-2 * Math.abs(ref[i]), "token " + n + " kept both copies");
        if (none) assertEquals(0f, got[i], "token " + n + " lost both copies");
      }
      if (all) full++;
    }
    assertTrue(full > 0, "some tokens keep both copies");
  }

  @Test
  void gatesAndAuxLossMatchPlainJavaRouting() {
    Inputs in = inputs(3);
    Graph g = new Graph("moe_router");
    Tensor x = g.parameter(in.x().type());
    MoeWeights w = weights(g, in);
    MoeResult grok = Moe.apply(MoeOptions.builder().topK(K).build(), x, w);
    MoeResult mixtral = Moe.apply(MoeOptions.builder().topK(K).router(RouterKind.RENORMALIZED).build(), x, w);
    List<HostTensor> res = GrokHarness.run(cpu, g, in.list(), grok.experts(), grok.gates(), grok.auxLoss(),
        mixtral.gates());
    float[] xs = in.x().toFloatArray();
    float[] router = in.router().toFloatArray();
    double[][] probs = new double[N][E];
    int[] wantExperts = new int[N * K];
    double[] wantGates = new double[N * K];
    double[] fraction = new double[E];
    double[] meanProb = new double[E];
    for (int n = 0; n < N; n++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int e = 0; e < E; e++) {
        double s = 0;
        for (int d = 0; d < D; d++) s += xs[n * D + d] * (double) router[d * E + e];
        probs[n][e] = s;
        max = Math.max(max, s);
      }
      double sum = 0;
      for (int e = 0; e < E; e++) sum += probs[n][e] = Math.exp(probs[n][e] - max);
      for (int e = 0; e < E; e++) {
        probs[n][e] /= sum;
        meanProb[e] += probs[n][e] / N;
      }
      boolean[] taken = new boolean[E];
      for (int k = 0; k < K; k++) {
        int best = -1;
        for (int e = 0; e < E; e++) if (!taken[e] && (best < 0 || probs[n][e] > probs[n][best])) best = e;
        taken[best] = true;
        wantExperts[n * K + k] = best;
        wantGates[n * K + k] = probs[n][best];
        fraction[best] += 1.0 / (N * K);
      }
    }
    double aux = 0;
    for (int e = 0; e < E; e++) aux += E * fraction[e] * meanProb[e];
    assertArrayEquals(wantExperts, res.get(0).toIntArray(), "selected experts");
    double[] gates = res.get(1).toDoubleArray();
    double[] renorm = res.get(3).toDoubleArray();
    for (int n = 0; n < N; n++) {
      for (int k = 0; k < K; k++) assertEquals(wantGates[n * K + k], gates[n * K + k], 1e-5, "gate " + n + "/" + k);
      double s = wantGates[n * K] + wantGates[n * K + 1];
      for (int k = 0; k < K; k++) {
        assertEquals(wantGates[n * K + k] / s, renorm[n * K + k], 1e-5, "renormalized gate " + n + "/" + k);
      }
    }
    assertEquals(aux, res.get(2).toDoubleArray()[0], 1e-5, "aux loss");
  }

  @Test
  void int8DequantizationFollowsItsFormula() {
    Random r = new Random(4);
    int experts = 3;
    int in = 16;
    int out = 8;
    int nb = 4;
    byte[] q = new byte[experts * in * out];
    for (int i = 0; i < q.length; i++) q[i] = (byte) (r.nextInt(255) - 127);
    HostTensor weight = HostTensor.ofBytes(DType.I8, Shape.of(experts, in, out), q);
    HostTensor scales = normal(r, DType.BF16, 0.01, experts, nb, out);
    HostTensor x = normal(r, DType.BF16, 1.0, 5, in);
    Graph g = new Graph("dequant");
    Tensor wt = g.parameter(weight.type());
    Tensor st = g.parameter(scales.type());
    Tensor xt = g.parameter(x.type());
    Weight.Int8 w = new Weight.Int8(wt, st);
    Weight first = Weight.int8(wt.slice(0, 0, 1).squeeze(0), st.slice(0, 0, 1).squeeze(0));
    List<HostTensor> res = GrokHarness.run(cpu, g, List.of(weight, scales, x), w.matrix(),
        Linear.apply(xt, first, QuantMode.DEQUANTIZE), Linear.apply(xt, first, QuantMode.SCALE_AFTER));
    float[] s = scales.toFloatArray();
    float[] deq = res.get(0).toFloatArray();
    float[] want = new float[deq.length];
    for (int e = 0; e < experts; e++) {
      for (int i = 0; i < in; i++) {
        for (int o = 0; o < out; o++) {
          int at = (e * in + i) * out + o;
          // W[i, o] = bf16(weight[i, o] · scales[i / (in / nb), o])
          want[at] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(q[at] * s[(e * nb + i / (in / nb)) * out + o]));
        }
      }
    }
    assertArrayEquals(want, deq, "dequantized weights, bit for bit");
    float[] xs = x.toFloatArray();
    float[] lin = new float[5 * out];
    float[] unrounded = new float[5 * out]; // scales after the matmul: W is never rounded to bf16
    for (int m = 0; m < 5; m++) {
      for (int o = 0; o < out; o++) {
        double acc = 0;
        double exact = 0;
        for (int i = 0; i < in; i++) {
          acc += xs[m * in + i] * (double) want[i * out + o];
          exact += xs[m * in + i] * (double) q[i * out + o] * s[(i / (in / nb)) * out + o];
        }
        lin[m * out + o] = (float) acc;
        unrounded[m * out + o] = (float) exact;
      }
    }
    // bf16 results of sums over 16 products: 2^-8 relative plus the f32/f64 order
    GrokHarness.assertClose("linear, dequantize first", lin, res.get(1).toFloatArray(), null, 2e-3, 1e-2);
    GrokHarness.assertClose("linear, scales after", unrounded, res.get(2).toFloatArray(), null, 2e-3, 1e-2);
  }

  private static MoeWeights weights(Graph g, Inputs in) {
    return new MoeWeights(g.parameter(in.router().type()), Weight.of(g.parameter(in.w().type())),
        Weight.of(g.parameter(in.v().type())), Weight.of(g.parameter(in.w1().type())));
  }
}
