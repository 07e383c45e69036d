package org.xla4j.grok;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.ir.OpException;
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
import org.xla4j.types.TensorType;

/**
 * Expert matrices stored {@code [E, out, in]} ({@link MoeWeights#contractionMinor}, what generation keeps on GPUs)
 * give every MoE implementation the outputs the tree's {@code [E, in, out]} layout gives (CPU backend, f32: the same
 * products summed in the same order up to XLA's choice of loop nest, so {@code 1e-5 + 1e-5·|ref|}), in each branch of
 * CAPACITY_CHECKED's ladder; and CAPACITY_CHECKED takes the transposes inside its conditional's branches, where XLA
 * folds them into the dots, not before it, where they are copies of every expert matrix (the H200 profile of a
 * 2,048-token prefill: three ~100 us copies per layer).
 */
class MoeContractionMinorTest {
  static final int B = MoeCapacityCheckedTest.B;
  static final int T = MoeCapacityCheckedTest.T;
  static final int D = MoeCapacityCheckedTest.D;
  static final int F = MoeCapacityCheckedTest.F;
  static final int E = MoeCapacityCheckedTest.E;
  static final int K = MoeCapacityCheckedTest.K;
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  /** {@code [E, a, b]} as {@code [E, b, a]}, in plain Java. */
  static HostTensor swapped(HostTensor t) {
    long[] d = t.shape().dims();
    int e = (int) d[0];
    int a = (int) d[1];
    int b = (int) d[2];
    float[] in = t.toFloatArray();
    float[] out = new float[in.length];
    for (int k = 0; k < e; k++) {
      for (int i = 0; i < a; i++) {
        for (int j = 0; j < b; j++) out[(k * b + j) * a + i] = in[(k * a + i) * b + j];
      }
    }
    return HostTensor.of(t.dtype(), org.xla4j.types.Shape.of(e, b, a), out);
  }

  @Test
  void everyImplementationGivesTheTreeLayoutsOutputs() {
    List<HostTensor> in = new ArrayList<>(MoeCapacityCheckedTest.inputs(31, DType.F32));
    for (int i = 2; i <= 4; i++) in.add(swapped(in.get(i)));
    Graph g = new Graph("moe_minor");
    Tensor x = g.parameter(in.get(0).type());
    MoeWeights tree = MoeCapacityCheckedTest.weights(g, in);
    MoeWeights minor = MoeWeights.contractionMinor(tree.router(), Weight.of(g.parameter(in.get(5).type())),
        Weight.of(g.parameter(in.get(6).type())), Weight.of(g.parameter(in.get(7).type())));
    assertEquals(D, minor.model());
    assertEquals(F, minor.hidden());
    MoeOptions base = MoeOptions.builder().topK(K).build();
    List<MoeOptions> cases = List.of(base.withImplementation(MoeImplementation.DENSE),
        base.toBuilder().implementation(MoeImplementation.CAPACITY).capacityFactor(E).build(),
        base.toBuilder().implementation(MoeImplementation.DROPLESS).tileSize(5).build(),
        base.withImplementation(MoeImplementation.FEW_TOKENS),
        base.toBuilder().implementation(MoeImplementation.CAPACITY_CHECKED).capacityFactor(E).build(),
        base.toBuilder().implementation(MoeImplementation.CAPACITY_CHECKED).capacityFactor(0.25).tileSize(3).build());
    List<Tensor> outs = new ArrayList<>();
    for (MoeOptions o : cases) {
      MoeResult a = Moe.apply(o, x, tree);
      MoeResult b = Moe.apply(o, x, minor);
      outs.add(a.output());
      outs.add(b.output());
      outs.add(b.fallback());
    }
    List<HostTensor> r = GrokHarness.run(cpu, g, in, outs.toArray(Tensor[]::new));
    for (int i = 0; i < cases.size(); i++) {
      float[] want = r.get(3 * i).toFloatArray();
      assertTrue(GrokHarness.maxDiff(want, new float[want.length], null) > 0.1, "output is not trivially zero");
      GrokHarness.assertClose(cases.get(i).implementation() + " factor " + cases.get(i).capacityFactor()
          + ": [E, out, in] vs [E, in, out]", want, r.get(3 * i + 1).toFloatArray(), null, 1e-5, 1e-5);
    }
    // CAPACITY_CHECKED ran both kinds of branch: the capacity rung at factor E, DROPLESS at 0.25
    assertEquals(0, r.get(3 * 4 + 2).toIntArray()[0], "factor " + E + " runs a capacity rung");
    assertEquals(1, r.get(3 * 5 + 2).toIntArray()[0], "factor 0.25 runs the DROPLESS branch");
  }

  @Test
  void capacityCheckedTransposesInsideItsBranches() {
    List<HostTensor> in = MoeCapacityCheckedTest.inputs(32, DType.BF16);
    Graph g = new Graph("moe_minor_case");
    Tensor x = g.parameter(in.get(0).type());
    MoeWeights minor = MoeWeights.contractionMinor(g.parameter(in.get(1).type()),
        Weight.of(g.parameter(swapped(in.get(2)).type())), Weight.of(g.parameter(swapped(in.get(3)).type())),
        Weight.of(g.parameter(swapped(in.get(4)).type())));
    MoeOptions o = MoeOptions.builder().topK(K).implementation(MoeImplementation.CAPACITY_CHECKED).build();
    String text = StableHloPrinter.print(g.build(Moe.apply(o, x, minor).output()), EmitOptions.unsharded());
    int caseAt = text.indexOf("stablehlo.case");
    assertTrue(caseAt > 0, "one conditional:\n" + text);
    List<Integer> transposes = new ArrayList<>();
    for (int at = text.indexOf("stablehlo.transpose"); at >= 0; at = text.indexOf("stablehlo.transpose", at + 1)) {
      transposes.add(at);
    }
    // three expert matrices, transposed in each branch (two capacity rungs and DROPLESS), none before the case
    assertTrue(transposes.size() >= 3, "the branches transpose the weights:\n" + text);
    for (int at : transposes) assertTrue(at > caseAt, "a transpose before the conditional:\n" + text);
  }

  @Test
  void int8AndMisshapenMinorWeightsAreRefused() {
    Graph g = new Graph("moe_minor_bad");
    Tensor router = g.parameter(TensorType.of(DType.F32, D, E));
    Weight q = Weight.int8(g.parameter(TensorType.of(DType.I8, E, D, F)), g.parameter(TensorType.of(DType.BF16, E, 1, F)));
    Weight w = Weight.of(g.parameter(TensorType.of(DType.BF16, E, F, D)));
    OpException e = assertThrows(OpException.class, () -> MoeWeights.contractionMinor(router, q, w, w));
    assertTrue(e.getMessage().contains("float expert matrices"), e.getMessage());
    // linear stored [E, F, D] but linear_1 also [E, F, D] (it should be [E, D, F] stored): named with the layout
    MoeWeights bad = MoeWeights.contractionMinor(router, w, w, w);
    Tensor x = g.parameter(TensorType.of(DType.BF16, B, T, D));
    OpException s = assertThrows(OpException.class, () -> Moe.apply(MoeOptions.builder().topK(K).build(), x, bad));
    assertTrue(s.getMessage().contains("linear_1") && s.getMessage().contains("[E, out, in]"), s.getMessage());
  }
}
