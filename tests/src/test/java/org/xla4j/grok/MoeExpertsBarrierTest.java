package org.xla4j.grok;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.moe.Moe;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.moe.MoeWeights;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * The expert FFN of inference programs holds its bf16 GEMM results behind an optimization barrier, so XLA keeps them
 * bf16 in memory rather than folding the activation's f32 upcast into the GEMMs (which then write f32); gradient
 * programs too (a forward and its gradient program round alike: GrokTrainStepTest compares their losses); f32 layers
 * have none. The values are the stated bf16 ones: the barrier is an identity (MoeCapacityCheckedTest,
 * MoeImplementationsTest check the outputs against DENSE).
 */
class MoeExpertsBarrierTest {
  static String program(DType dt, MoeImplementation impl) {
    List<HostTensor> in = MoeCapacityCheckedTest.inputs(41, dt);
    Graph g = new Graph("moe_barrier");
    Tensor x = g.parameter(in.get(0).type());
    MoeOptions o = MoeOptions.builder().topK(MoeCapacityCheckedTest.K).implementation(impl).build();
    return StableHloPrinter.print(g.build(Moe.apply(o, x, MoeCapacityCheckedTest.weights(g, in)).output()),
        EmitOptions.unsharded());
  }

  @Test
  void bf16ProgramsHoldTheBarrierF32OnesDoNot() {
    for (MoeImplementation impl : List.of(MoeImplementation.CAPACITY, MoeImplementation.DENSE)) {
      assertTrue(program(DType.BF16, impl).contains("stablehlo.optimization_barrier"), impl + " bf16");
      assertFalse(program(DType.F32, impl).contains("stablehlo.optimization_barrier"), impl + " f32");
    }
    // the gradient of a bf16 DENSE layer (differentiated through its forward ops) with respect to its input
    List<HostTensor> in = MoeCapacityCheckedTest.inputs(42, DType.BF16);
    Graph g = new Graph("moe_barrier_grad");
    Tensor x = g.parameter(in.get(0).type());
    MoeWeights w = MoeCapacityCheckedTest.weights(g, in);
    MoeOptions o = MoeOptions.builder().topK(MoeCapacityCheckedTest.K).implementation(MoeImplementation.DENSE).build();
    Tensor dx = Autodiff.grad((Tree<Tensor> t) -> Moe.apply(o, t.get("x"), w).output().astype(DType.F32).sum())
        .apply(Tree.of(java.util.Map.of("x", x))).get("x");
    String grad = StableHloPrinter.print(g.build(dx), EmitOptions.unsharded());
    assertTrue(grad.contains("xbf16>"), "a bf16 layer");
    assertTrue(grad.contains("stablehlo.optimization_barrier"), "the barrier under differentiation too:\n" + grad);
  }
}
