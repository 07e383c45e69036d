package org.xla4j.grok;

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
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.moe.Moe;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.moe.MoeResult;
import org.xla4j.models.moe.MoeWeights;
import org.xla4j.models.quant.Weight;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;

/**
 * CAPACITY_CHECKED against DENSE (CPU backend) in both of its branches: a capacity no expert can pass (factor E:
 * C = N·K), where the capacity branch runs, and a capacity ladder below the mean load (factor 0.25, rungs 3 and 6), where some expert must
 * overflow and the DROPLESS branch runs; which branch ran is read from {@link MoeResult#fallback()} and checked
 * against a plain-Java count of the routing. CAPACITY at factor 0.25 drops copies on the same inputs, so the
 * fallback case is one where the capacity form alone would be wrong.
 *
 * <p>Tolerances against DENSE: bf16 outputs of size ~1, {@code 1e-2 + 1e-2·|ref|} (the implementations round at the
 * same points; f32 sums in another order can flip one bf16 rounding, 2^-8 relative); f32, {@code 1e-4 + 1e-4·|ref|}
 * (only the f32 summation order differs, ~1e-6 relative over these short sums). A wrong expert or gate is off by
 * ~1.
 */
class MoeCapacityCheckedTest {
  static final int B = 2;
  static final int T = 12;
  static final int N = B * T;
  static final int D = 16;
  static final int F = 24;
  static final int E = 4;
  static final int K = 2;
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  static List<HostTensor> inputs(long seed, DType dt) {
    Random r = new Random(seed);
    return new ArrayList<>(List.of(normal(r, dt, 1.0, B, T, D), normal(r, DType.F32, 0.5, D, E),
        normal(r, dt, 1 / Math.sqrt(D), E, D, F), normal(r, dt, 1 / Math.sqrt(D), E, D, F),
        normal(r, dt, 1 / Math.sqrt(F), E, F, D)));
  }

  static HostTensor normal(Random r, DType dtype, double std, long... dims) {
    return MoeImplementationsTest.normal(r, dtype, std, dims);
  }

  /** The layer's weights as parameters of {@code g}, typed as {@code in}'s router and expert tensors (1 to 4). */
  static MoeWeights weights(Graph g, List<HostTensor> in) {
    return new MoeWeights(g.parameter(in.get(1).type()), Weight.of(g.parameter(in.get(2).type())),
        Weight.of(g.parameter(in.get(3).type())), Weight.of(g.parameter(in.get(4).type())));
  }

  @Test
  void equalsDenseInBothBranchesBf16AndF32() {
    for (DType dt : List.of(DType.BF16, DType.F32)) {
      double tol = dt == DType.BF16 ? 1e-2 : 1e-4;
      List<HostTensor> in = inputs(dt == DType.BF16 ? 21 : 22, dt);
      Graph g = new Graph("moe_checked");
      Tensor x = g.parameter(in.get(0).type());
      MoeWeights w = weights(g, in);
      MoeOptions base = MoeOptions.builder().topK(K).implementation(MoeImplementation.CAPACITY_CHECKED).build();
      MoeResult dense = Moe.apply(base.withImplementation(MoeImplementation.DENSE), x, w);
      MoeResult fits = Moe.apply(base.toBuilder().capacityFactor(E).build(), x, w);
      MoeResult over = Moe.apply(base.toBuilder().capacityFactor(0.25).tileSize(3).build(), x, w);
      MoeResult defaults = Moe.apply(base, x, w);
      MoeResult capacityOnly = Moe.apply(base.toBuilder().implementation(MoeImplementation.CAPACITY).capacityFactor(0.25)
          .build(), x, w);
      Tensor[] outs = {dense.output(), fits.output(), fits.fallback(), fits.dropped(), over.output(), over.fallback(),
          over.dropped(), defaults.output(), defaults.fallback(), capacityOnly.dropped(), dense.experts()};
      String text = StableHloPrinter.print(g.build(outs), EmitOptions.unsharded());
      // three CAPACITY_CHECKED layers (fits, over, defaults): one case each
      assertEquals(3, text.split("stablehlo.case", -1).length - 1, "one case per layer:\n" + text);
      List<HostTensor> r = MoeGradTest.runAll(cpu, text, in);
      int[] experts = r.get(10).toIntArray();
      int[] load = new int[E];
      for (int e : experts) load[e]++;
      int maxLoad = java.util.Arrays.stream(load).max().orElseThrow();
      float[] ref = r.get(0).toFloatArray();
      assertTrue(GrokHarness.maxDiff(ref, new float[ref.length], null) > 0.1, "DENSE output is not trivially zero");
      // factor E: C = N·K copies, more than any expert can get
      assertEquals(0, r.get(2).toIntArray()[0], dt + ": factor " + E + " runs the capacity branch");
      assertEquals(0, r.get(3).toIntArray()[0], dt + ": nothing dropped");
      GrokHarness.assertClose(dt + " capacity branch vs DENSE", ref, r.get(1).toFloatArray(), null, tol, tol);
      // factor 0.25: rungs C = 3 and 6 (factor 0.5), both below the mean load 12, so the busiest expert overflows
      int c = lastRung(0.25);
      assertEquals(6, c);
      assertTrue(maxLoad > c, "the busiest expert has " + maxLoad + " copies, over C = " + c);
      assertEquals(1, r.get(5).toIntArray()[0], dt + ": factor 0.25 runs the DROPLESS branch");
      assertEquals(0, r.get(6).toIntArray()[0], dt + ": nothing dropped");
      assertTrue(r.get(9).toIntArray()[0] > 0, dt + ": CAPACITY alone at factor 0.25 drops copies here");
      GrokHarness.assertClose(dt + " DROPLESS branch vs DENSE", ref, r.get(4).toFloatArray(), null, tol, tol);
      // the default factor 1.25: whichever branch the routing calls for, as plain Java counts it
      int c125 = lastRung(1.25);
      assertEquals(maxLoad > c125 ? 1 : 0, r.get(8).toIntArray()[0], dt + ": max load " + maxLoad + ", C " + c125);
      GrokHarness.assertClose(dt + " default factor vs DENSE", ref, r.get(7).toFloatArray(), null, tol, tol);
    }
  }

  /**
   * The largest capacity of the ladder at {@code factor}, as plain Java counts it: {@code ceil(N·K/E · f)}, or at twice
   * the factor when that is still below N (the most copies one expert can get).
   */
  static int lastRung(double factor) {
    int c = (int) Math.ceil((double) N * K / E * factor);
    int wide = (int) Math.ceil((double) N * K / E * factor * 2);
    return wide > c && wide < N ? wide : c;
  }

  @Test
  void theWiderRungHoldsAnExpertTheFirstDoesNot() {
    // first the routing (DENSE's experts), then a factor whose first rung is just under the busiest expert's load
    // and whose second (twice it) holds it: the capacity form at the wider rung runs, not DROPLESS, nothing dropped
    List<HostTensor> in = inputs(24, DType.F32);
    Graph g0 = new Graph("moe_routing");
    Tensor x0 = g0.parameter(in.get(0).type());
    MoeWeights w0 = weights(g0, in);
    MoeOptions base = MoeOptions.builder().topK(K).implementation(MoeImplementation.DENSE).build();
    int[] load = new int[E];
    for (int e : GrokHarness.run(cpu, g0, in, Moe.apply(base, x0, w0).experts()).get(0).toIntArray()) load[e]++;
    int maxLoad = java.util.Arrays.stream(load).max().orElseThrow();
    double mean = (double) N * K / E;
    double f = (maxLoad - 0.5) / (2 * mean);
    int c1 = (int) Math.ceil(mean * f);
    int c2 = (int) Math.ceil(mean * f * 2);
    assertTrue(c1 < maxLoad && maxLoad <= c2 && c2 < N, "rungs " + c1 + ", " + c2 + " around max load " + maxLoad);
    Graph g = new Graph("moe_checked_wide");
    Tensor x = g.parameter(in.get(0).type());
    MoeWeights w = weights(g, in);
    MoeResult dense = Moe.apply(base, x, w);
    MoeOptions o = base.toBuilder().implementation(MoeImplementation.CAPACITY_CHECKED).capacityFactor(f).build();
    MoeResult checked = Moe.apply(o, x, w);
    MoeResult first = Moe.apply(o.withImplementation(MoeImplementation.CAPACITY), x, w);
    List<HostTensor> r = GrokHarness.run(cpu, g, in, dense.output(), checked.output(), checked.fallback(),
        checked.dropped(), first.dropped());
    assertTrue(r.get(4).toIntArray()[0] > 0, "CAPACITY at the first rung drops copies");
    assertEquals(0, r.get(2).toIntArray()[0], "the wider rung runs, not the DROPLESS fallback");
    assertEquals(0, r.get(3).toIntArray()[0], "nothing dropped");
    GrokHarness.assertClose("wider rung vs DENSE", r.get(0).toFloatArray(), r.get(1).toFloatArray(), null, 1e-4, 1e-4);
  }

  /**
   * A three-rung ladder placed around the busiest expert's load m (plain Java counts it from DENSE's routing) so
   * that each of its four branches runs once, in four layers of one program: capacities {m, m+1, m+2} (rung 0),
   * {m-1, m, m+1} (rung 1), {m-2, m-1, m} (rung 2), {m-3, m-2, m-1} (DROPLESS, rung 3). Each layer reports the rung
   * the count calls for, drops nothing, and equals DENSE.
   */
  @Test
  void aThreeRungLadderReportsTheRungThatRan() {
    List<HostTensor> in = inputs(25, DType.F32);
    int maxLoad = maxLoad(in);
    double mean = (double) N * K / E;
    assertTrue(maxLoad >= 4 && maxLoad + 2 < N, "max load " + maxLoad);
    Graph g = new Graph("moe_checked_ladders");
    Tensor x = g.parameter(in.get(0).type());
    MoeWeights w = weights(g, in);
    MoeOptions base = MoeOptions.builder().topK(K).implementation(MoeImplementation.CAPACITY_CHECKED).build();
    List<Tensor> outs = new ArrayList<>(List.of(Moe.apply(base.withImplementation(MoeImplementation.DENSE), x, w)
        .output()));
    int[][] capacities = new int[4][];
    for (int want = 0; want < 4; want++) {
      int first = maxLoad - want;
      capacities[want] = new int[] {first, first + 1, first + 2};
      List<Double> factors = new ArrayList<>();
      // ceil(mean · (C - 0.5) / mean) = C, clear of the float rounding of C / mean
      for (int c : capacities[want]) factors.add((c - 0.5) / mean);
      MoeResult r = Moe.apply(base.toBuilder().capacityRungs(factors).build(), x, w);
      outs.addAll(List.of(r.output(), r.rung(), r.fallback(), r.dropped()));
    }
    String text = StableHloPrinter.print(g.build(outs.toArray(Tensor[]::new)), EmitOptions.unsharded());
    assertEquals(4, text.split("stablehlo.case", -1).length - 1, "one case per layer");
    List<HostTensor> r = MoeGradTest.runAll(cpu, text, in);
    float[] ref = r.get(0).toFloatArray();
    for (int want = 0; want < 4; want++) {
      int expected = 0; // the oracle: rungs whose capacity is under the busiest expert's load are passed over
      for (int c : capacities[want]) if (c < maxLoad) expected++;
      assertEquals(want, expected, "the ladder's construction");
      String name = "ladder " + java.util.Arrays.toString(capacities[want]) + ", max load " + maxLoad;
      assertEquals(expected, r.get(2 + 4 * want).toIntArray()[0], name + ": rung");
      assertEquals(expected == 3 ? 1 : 0, r.get(3 + 4 * want).toIntArray()[0], name + ": fallback");
      assertEquals(0, r.get(4 + 4 * want).toIntArray()[0], name + ": dropped");
      GrokHarness.assertClose(name + " vs DENSE", ref, r.get(1 + 4 * want).toFloatArray(), null, 1e-4, 1e-4);
    }
  }

  /** The most copies any expert gets under DENSE's routing of {@code in}, counted in plain Java. */
  static int maxLoad(List<HostTensor> in) {
    Graph g = new Graph("moe_routing");
    Tensor x = g.parameter(in.get(0).type());
    MoeWeights w = weights(g, in);
    MoeOptions dense = MoeOptions.builder().topK(K).implementation(MoeImplementation.DENSE).build();
    int[] load = new int[E];
    for (int e : GrokHarness.run(cpu, g, in, Moe.apply(dense, x, w).experts()).get(0).toIntArray()) load[e]++;
    return java.util.Arrays.stream(load).max().orElseThrow();
  }

  @Test
  void badLaddersNameTheOption() {
    List<HostTensor> in = inputs(26, DType.F32);
    for (List<Double> bad : List.of(List.of(2.0, 1.25), List.of(1.25, 1.25), List.of(0.0, 1.0),
        List.of(1.0, Double.POSITIVE_INFINITY))) {
      Graph g = new Graph("moe_bad_ladder");
      Tensor x = g.parameter(in.get(0).type());
      MoeWeights w = weights(g, in);
      MoeOptions o = MoeOptions.builder().topK(K).implementation(MoeImplementation.CAPACITY_CHECKED)
          .capacityRungs(bad).build();
      org.xla4j.ir.OpException e = org.junit.jupiter.api.Assertions.assertThrows(org.xla4j.ir.OpException.class,
          () -> Moe.apply(o, x, w));
      assertTrue(e.getMessage().contains("capacityRungs") && e.getMessage().contains(bad.toString())
          && e.getMessage().contains("MoeCapacityCheckedTest"), e.getMessage());
    }
  }

  @Test
  void aSkewedRouterRunsTheFallbackAndStillEqualsDense() {
    // every router column but expert 0's scaled down: expert 0 wins nearly every token's first choice
    List<HostTensor> in = inputs(23, DType.BF16);
    float[] router = in.get(1).toFloatArray();
    for (int d = 0; d < D; d++) {
      router[d * E] = Math.abs(router[d * E]) * 8;
      for (int e = 1; e < E; e++) router[d * E + e] *= 0.1f;
    }
    float[] xs = in.get(0).toFloatArray();
    for (int i = 0; i < xs.length; i++) xs[i] = Math.abs(xs[i]);      // positive x: expert 0's logit is the largest
    in.set(0, HostTensor.of(DType.BF16, in.get(0).shape(), xs));
    in.set(1, HostTensor.of(DType.F32, in.get(1).shape(), router));
    Graph g = new Graph("moe_checked_skewed");
    Tensor x = g.parameter(in.get(0).type());
    MoeWeights w = weights(g, in);
    MoeOptions o = MoeOptions.builder().topK(K).implementation(MoeImplementation.CAPACITY_CHECKED).build();
    MoeResult dense = Moe.apply(o.withImplementation(MoeImplementation.DENSE), x, w);
    MoeResult checked = Moe.apply(o, x, w);
    List<HostTensor> r = GrokHarness.run(cpu, g, in, dense.output(), checked.output(), checked.fallback(),
        checked.dropped(), dense.experts(), checked.rung());
    // the default ladder 1.25, 2.5: C 15 and 30; 30 is not under N = 24, so one rung is kept and DROPLESS is branch 1
    assertEquals(1, r.get(5).toIntArray()[0], "the rung DROPLESS has in a one-rung ladder");
    int load0 = 0;
    for (int e : r.get(4).toIntArray()) if (e == 0) load0++;
    assertTrue(load0 > Math.ceil((double) N * K / E * 1.25), "expert 0 gets " + load0 + " copies");
    assertEquals(1, r.get(2).toIntArray()[0], "the skewed router runs the DROPLESS branch");
    assertEquals(0, r.get(3).toIntArray()[0], "nothing dropped");
    GrokHarness.assertClose("skewed router vs DENSE", r.get(0).toFloatArray(), r.get(1).toFloatArray(), null, 1e-2, 1e-2);
  }
}
