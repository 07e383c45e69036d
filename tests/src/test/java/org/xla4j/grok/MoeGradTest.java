package org.xla4j.grok;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.autodiff.DenseRaggedDot;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.moe.FewTokensForm;
import org.xla4j.models.moe.Moe;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.moe.MoeResult;
import org.xla4j.models.moe.MoeWeights;
import org.xla4j.models.quant.Weight;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * The MoE implementations' custom backward (MoeGrad) against DENSE's gradient, which is plain autodiff of the
 * composed reference: gradients of {@code sum(out · w) + 0.1 · aux} with respect to x, the router and the three
 * expert matrices, f32 on the CPU. Tolerance per leaf: {@code |Δ| <= 2e-4 · max|DENSE's leaf| + 1e-6} (f32
 * sums in a different order; a wrong rule is off by the gradient's own size). CAPACITY with drops, where DENSE
 * differs, is compared with autodiff of CAPACITY's own forward ({@link Moe#withForwardAutodiff}).
 */
public class MoeGradTest {
  static final int B = 2;
  static final int T = 6;
  static final int D = 8;
  static final int F = 12;
  static final int E = 4;
  static final int K = 2;
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  static final Tree<TensorType> TYPES = Tree.of(Map.of("x", TensorType.of(DType.F32, B, T, D),
      "router", TensorType.of(DType.F32, D, E), "linear", TensorType.of(DType.F32, E, D, F),
      "linear_v", TensorType.of(DType.F32, E, D, F), "linear_1", TensorType.of(DType.F32, E, F, D)));

  public static List<HostTensor> inputs(long seed) {
    Random r = new Random(seed);
    List<HostTensor> in = new ArrayList<>();
    for (String p : TYPES.paths()) {
      TensorType t = TYPES.get(p);
      double std = p.equals("x") ? 1.0 : p.equals("router") ? 0.5 : 1 / Math.sqrt(t.shape().dim(1));
      float[] f = new float[(int) t.numElements()];
      for (int i = 0; i < f.length; i++) f[i] = (float) (r.nextGaussian() * std);
      in.add(HostTensor.of(DType.F32, t.shape(), f));
    }
    return in;
  }

  /** The gradient leaves (TYPES' path order) of the loss under {@code o}, computed by the CPU backend. */
  static List<float[]> grads(MoeOptions o, boolean forwardAutodiff, boolean denseRagged, List<HostTensor> in) {
    String text = program(o, forwardAutodiff, denseRagged);
    if (o.raggedDot()) assertTrue(text.contains("stablehlo.while") && !text.contains("chlo.ragged_dot"), "rewritten");
    return run(cpu, text, in);
  }

  /** Runs {@code text} on {@code b}: the gradient leaves. */
  public static List<float[]> run(Backend b, String text, List<HostTensor> in) {
    return runAll(b, text, in).stream().map(HostTensor::toFloatArray).toList();
  }

  /** Runs {@code text} on {@code b}: its results. */
  static List<HostTensor> runAll(Backend b, String text, List<HostTensor> in) {
    try (Executable exe = b.compile(text, CompileOptions.defaults())) {
      return exe.execute(in);
    }
  }

  /**
   * The program returning the gradient leaves (TYPES' path order) of {@code sum(out · w) + 0.1 · aux} under
   * {@code o}; with {@code forwardAutodiff} through the forward's ops; with {@code denseRagged} ragged_dot written
   * densely (for this CPU).
   */
  public static String program(MoeOptions o, boolean forwardAutodiff, boolean denseRagged) {
    Graph g = new Graph("moe_grad");
    Tree<Tensor> params = g.parameters(TYPES);
    Function<Tree<Tensor>, Tensor> loss = p -> {
      MoeWeights w = new MoeWeights(p.get("router"), Weight.of(p.get("linear")), Weight.of(p.get("linear_v")),
          Weight.of(p.get("linear_1")));
      MoeResult r = Moe.apply(o, p.get("x"), w);
      return weighted(r.output()).add(r.auxLoss().mul(0.1));
    };
    Tree<Tensor> grad = forwardAutodiff ? Moe.withForwardAutodiff(() -> Autodiff.grad(loss).apply(params))
        : Autodiff.grad(loss).apply(params);
    List<Tensor> outs = grad.leaves();
    return denseRagged ? DenseRaggedDot.print(g, outs)
        : StableHloPrinter.print(g.build(outs.toArray(Tensor[]::new)), EmitOptions.unsharded());
  }

  /** {@code sum(y · w)} for fixed weights in [0.5, 1.5), so every output element's cotangent differs. */
  static Tensor weighted(Tensor y) {
    Random rnd = new Random(7);
    double[] w = new double[(int) y.size()];
    for (int i = 0; i < w.length; i++) w[i] = 0.5 + rnd.nextDouble();
    return y.mul(y.graph().constant(y.dtype(), w, y.shape().dims())).sum();
  }

  static void assertGradsClose(String name, List<float[]> want, List<float[]> got) {
    assertGradsClose(name, want, got, 2e-4);
  }

  /** Per leaf: {@code |Δ| <= rel · max|want's leaf| + 1e-6}. */
  public static void assertGradsClose(String name, List<float[]> want, List<float[]> got, double rel) {
    List<String> paths = TYPES.paths();
    assertEquals(want.size(), got.size());
    for (int l = 0; l < want.size(); l++) {
      float[] a = want.get(l);
      float[] b = got.get(l);
      double max = 0;
      for (float v : a) max = Math.max(max, Math.abs(v));
      assertTrue(max > 1e-3, name + ": DENSE's d " + paths.get(l) + " is not all zero");
      double tol = rel * max + 1e-6;
      for (int i = 0; i < a.length; i++) {
        assertTrue(Math.abs(a[i] - b[i]) <= tol, name + ": d " + paths.get(l) + "[" + i + "]: reference " + a[i]
            + ", got " + b[i] + " (tolerance " + tol + ")");
      }
    }
  }

  public static MoeOptions.Builder base() { return MoeOptions.builder().topK(K); }

  @Test
  void everyCustomBackwardEqualsDenseWithoutDrops() {
    List<HostTensor> in = inputs(11);
    List<float[]> dense = grads(base().implementation(MoeImplementation.DENSE).build(), false, false, in);
    Map<String, MoeOptions> impls = new java.util.LinkedHashMap<>();
    impls.put("CAPACITY (factor E: nothing dropped)", base().implementation(MoeImplementation.CAPACITY)
        .capacityFactor(E).build());
    impls.put("FEW_TOKENS gather", base().implementation(MoeImplementation.FEW_TOKENS).fewTokens(FewTokensForm.GATHER).build());
    impls.put("FEW_TOKENS slice loop", base().implementation(MoeImplementation.FEW_TOKENS)
        .fewTokens(FewTokensForm.SLICE_LOOP).build());
    impls.put("FEW_TOKENS slice", base().implementation(MoeImplementation.FEW_TOKENS).fewTokens(FewTokensForm.SLICE).build());
    impls.put("FEW_TOKENS reduce", base().implementation(MoeImplementation.FEW_TOKENS).fewTokens(FewTokensForm.REDUCE).build());
    impls.put("DROPLESS tiled (auto tile)", base().implementation(MoeImplementation.DROPLESS).build());
    impls.put("DROPLESS tiled (tile 4)", base().implementation(MoeImplementation.DROPLESS).tileSize(4).build());
    for (var e : impls.entrySet()) assertGradsClose(e.getKey(), dense, grads(e.getValue(), false, false, in));
  }

  @Test
  void droplessRaggedDotBackwardEqualsDense() {
    // ragged_dot does not compile on this CPU XLA: the program runs with it written densely (DenseRaggedDot)
    List<HostTensor> in = inputs(12);
    List<float[]> dense = grads(base().implementation(MoeImplementation.DENSE).build(), false, false, in);
    MoeOptions ragged = base().implementation(MoeImplementation.DROPLESS).raggedDot(true).platform("cuda").build();
    assertGradsClose("DROPLESS ragged_dot", dense, grads(ragged, false, true, in));
  }

  @Test
  void capacityWithDropsEqualsAutodiffOfItsForward() {
    List<HostTensor> in = inputs(13);
    MoeOptions o = base().implementation(MoeImplementation.CAPACITY).capacityFactor(0.5).build();
    List<float[]> forward = grads(o, true, false, in);
    List<float[]> dense = grads(base().implementation(MoeImplementation.DENSE).build(), false, false, in);
    assertGradsClose("CAPACITY 0.5 vs its forward's autodiff", forward, grads(o, false, false, in));
    // drops happen, so the reference differs from DENSE: the comparison above is not vacuous
    boolean differs = false;
    for (int i = 0; i < dense.get(0).length; i++) differs |= Math.abs(dense.get(0)[i] - forward.get(0)[i]) > 1e-3;
    assertTrue(differs, "capacity factor 0.5 drops copies");
  }

  /**
   * CAPACITY_CHECKED's custom backward in both branches (factor E: the capacity branch; factor 0.25: some expert
   * overflows both capacity rungs and the DROPLESS branch runs), against DENSE; the backward holds a conditional of its own. Its forward
   * differentiated instead (both branches computed, one selected) gives the same.
   */
  @Test
  void capacityCheckedBackwardEqualsDenseInBothBranches() {
    List<HostTensor> in = inputs(15);
    List<float[]> dense = grads(base().implementation(MoeImplementation.DENSE).build(), false, false, in);
    for (double cf : new double[] {E, 0.25}) {
      MoeOptions o = base().implementation(MoeImplementation.CAPACITY_CHECKED).capacityFactor(cf).tileSize(4).build();
      String text = program(o, false, false);
      // forward and backward: one case each
      assertEquals(2, text.split("stablehlo.case", -1).length - 1, "factor " + cf);
      assertGradsClose("CAPACITY_CHECKED factor " + cf, dense, grads(o, false, false, in));
      assertGradsClose("CAPACITY_CHECKED factor " + cf + ", forward autodiff", dense, grads(o, true, false, in));
    }
  }

  /**
   * A three-rung ladder, every branch in turn: capacities placed around the busiest expert's load m (plain Java
   * counts it from DENSE's routing) so that rung 0, 1, 2 or DROPLESS runs, as the forward's reported rung confirms;
   * each backward equals DENSE's, through the custom VJP (a four-branch case) and through the forward's autodiff.
   */
  @Test
  void capacityCheckedBackwardEqualsDenseOnEveryRungOfAThreeRungLadder() {
    List<HostTensor> in = inputs(16);
    int maxLoad = maxLoad(in);
    double mean = (double) B * T * K / E;
    assertTrue(maxLoad >= 4 && maxLoad + 2 < B * T, "max load " + maxLoad + " leaves room for the ladders");
    List<float[]> dense = grads(base().implementation(MoeImplementation.DENSE).build(), false, false, in);
    for (int want = 0; want < 4; want++) {
      int first = maxLoad - want;
      List<Double> factors = new ArrayList<>();
      for (int c = first; c < first + 3; c++) factors.add((c - 0.5) / mean); // ceil(mean · f) = c exactly
      MoeOptions o = base().implementation(MoeImplementation.CAPACITY_CHECKED).capacityRungs(factors).tileSize(4)
          .build();
      String name = "CAPACITY_CHECKED capacities " + first + ".." + (first + 2) + ", max load " + maxLoad;
      assertEquals(want, rung(o, in), name + ": the rung that ran");
      String text = program(o, false, false);
      assertEquals(2, text.split("stablehlo.case", -1).length - 1, name + ": one case forward, one backward");
      assertGradsClose(name, dense, grads(o, false, false, in));
      assertGradsClose(name + ", forward autodiff", dense, grads(o, true, false, in));
    }
  }

  /**
   * CAPACITY_CHECKED's backward reuses its forward's expert products. Per rung, the program's matmuls with that
   * rung's C rows ({@code -> [E, C, F]} or {@code [E, C, D]}) are the forward's three (a, v, y) and the chain rule's
   * three (dh, and dx through W and through V; the weight gradients contract C away). A backward that rebuilt the
   * forward inside its case (a wall XLA does not CSE across) had three more per rung. Capacities 5, 7, 9 share no
   * size with E 4, D 8, F 12.
   */
  @Test
  void capacityCheckedBackwardRecomputesNoExpertMatmul() {
    double mean = (double) B * T * K / E;
    int[] capacities = {5, 7, 9};
    List<Double> factors = new ArrayList<>();
    for (int c : capacities) factors.add((c - 0.5) / mean);
    MoeOptions o = base().implementation(MoeImplementation.CAPACITY_CHECKED).capacityRungs(factors).tileSize(4).build();
    List<String> dots = program(o, false, false).lines().filter(l -> l.contains("stablehlo.dot_general")).toList();
    for (int c : capacities) {
      java.util.regex.Pattern rows = java.util.regex.Pattern.compile("-> tensor<" + E + "x" + c + "x(" + D + "|" + F
          + ")xf32>");
      long n = dots.stream().filter(l -> rows.matcher(l).find()).count();
      assertEquals(6, n, "capacity " + c + ": matmuls with its rows (3 forward, 3 backward)");
    }
  }

  /** The busiest expert's copies under DENSE's routing of {@code in}. */
  static int maxLoad(List<HostTensor> in) {
    return load(base().implementation(MoeImplementation.DENSE).build(), in)[0];
  }

  /** CAPACITY_CHECKED's reported rung for {@code o} on {@code in} (the forward alone). */
  static int rung(MoeOptions o, List<HostTensor> in) {
    return load(o, in)[1];
  }

  /** {max load (plain Java count of the experts), rung} of the forward under {@code o}. */
  private static int[] load(MoeOptions o, List<HostTensor> in) {
    Graph g = new Graph("moe_rung");
    Tree<Tensor> p = g.parameters(TYPES);
    MoeResult r = Moe.apply(o, p.get("x"), new MoeWeights(p.get("router"), Weight.of(p.get("linear")),
        Weight.of(p.get("linear_v")), Weight.of(p.get("linear_1"))));
    List<HostTensor> out = runAll(cpu, StableHloPrinter.print(g.build(r.experts(), r.rung()), EmitOptions.unsharded()),
        in);
    int[] loads = new int[E];
    for (int e : out.get(0).toIntArray()) loads[e]++;
    return new int[] {java.util.Arrays.stream(loads).max().orElseThrow(), out.get(1).toIntArray()[0]};
  }

  @Test
  void forwardAutodiffOfDroplessAgreesToo() {
    // the tiled forward differentiated as a scan, for the record: the custom backward gives the same numbers
    List<HostTensor> in = inputs(14);
    MoeOptions o = base().implementation(MoeImplementation.DROPLESS).tileSize(4).build();
    assertGradsClose("DROPLESS custom vs forward autodiff", grads(o, true, false, in), grads(o, false, false, in));
  }

}
