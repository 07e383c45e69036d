package org.xla4j.grok;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
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
import org.xla4j.models.moe.MoeWeights;
import org.xla4j.models.quant.Weight;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompileException;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;

/**
 * DROPLESS with {@code chlo.ragged_dot} on the CPU backend. What TensorFlow 2.18's XLA CPU does with the op
 * is checked, not assumed: if it compiles, the result must equal DENSE; if not, the compile error must name
 * the op. Either way, {@code raggedDot(true)} with platform {@code cpu} emits the portable form and equals DENSE.
 */
class RaggedDotCpuTest {
  static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  @Test
  void raggedDotOnCpuIsCheckedAndThePlatformFallsBack() {
    MoeImplementationsTest.Inputs in = MoeImplementationsTest.inputs(5);
    MoeOptions ragged = MoeOptions.builder().topK(2).implementation(MoeImplementation.DROPLESS).raggedDot(true)
        .platform("cuda").build();
    String text = program(in, ragged);
    assertTrue(text.contains("chlo.ragged_dot"), "asked-for ragged_dot is emitted");
    try (Executable exe = cpu.compile(text, CompileOptions.defaults())) {
      List<HostTensor> r = exe.execute(in.list());
      System.out.println("chlo.ragged_dot compiles on the CPU backend");
      GrokHarness.assertClose("ragged_dot DROPLESS vs DENSE", r.get(0).toFloatArray(), r.get(1).toFloatArray(), null,
          1e-2, 1e-2);
    } catch (CompileException e) {
      System.out.println("chlo.ragged_dot on the CPU backend: " + e.getMessage().lines().filter(l -> l.contains("ragged")).findFirst().orElse(""));
      assertTrue(e.getMessage().contains("ragged"), e.getMessage());
    }
    String fallback = program(in, ragged.toBuilder().platform("cpu").build());
    assertFalse(fallback.contains("chlo.ragged_dot"), "platform cpu uses the portable form");
    try (Executable exe = cpu.compile(fallback, CompileOptions.defaults())) {
      List<HostTensor> r = exe.execute(in.list());
      GrokHarness.assertClose("portable DROPLESS vs DENSE", r.get(0).toFloatArray(), r.get(1).toFloatArray(), null,
          1e-2, 1e-2);
    }
  }

  /** A program returning DENSE's output and {@code o}'s, over the inputs' x and weights. */
  private static String program(MoeImplementationsTest.Inputs in, MoeOptions o) {
    Graph g = new Graph("moe_ragged");
    Tensor x = g.parameter(in.x().type());
    MoeWeights w = new MoeWeights(g.parameter(in.router().type()), Weight.of(g.parameter(in.w().type())),
        Weight.of(g.parameter(in.v().type())), Weight.of(g.parameter(in.w1().type())));
    Tensor dense = Moe.apply(MoeOptions.builder().topK(2).implementation(MoeImplementation.DENSE).build(), x, w).output();
    return StableHloPrinter.print(g.build(dense, Moe.apply(o, x, w).output()), EmitOptions.unsharded());
  }
}
