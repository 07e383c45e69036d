package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.CompiledMemoryStats;
import org.xla4j.runtime.Executable;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * Remat changes memory, not values (values: RematTest on the CPU): the compiled temp memory of a training
 * gradient through 8 residual MLP blocks (each with a 4x wider hidden layer) with every block checkpointed
 * (nothing_saveable, prevent_cse) against none. Without remat the backward keeps each block's [N, 4D]
 * hidden activations; with it only the blocks' [N, D] inputs. PJRT only (the CPU backend reports no
 * compiled memory stats); prints both figures.
 */
class RematMemoryTest {
  private static final int N = 2048;
  private static final int D = 512;
  private static final int LAYERS = 8;

  private static Tree<Tensor> block(Tree<Tensor> p) {
    Tensor h = p.get("x").matmul(p.get("w1")).tanh();
    return Tree.of(Map.of("x", h.matmul(p.get("w2")).tanh().add(p.get("x"))));
  }

  private static String program(Function<Tree<Tensor>, Tree<Tensor>> layer) {
    Graph g = new Graph("remat_memory");
    Tree.Builder<org.xla4j.types.TensorType> types = Tree.builder();
    for (int l = 0; l < LAYERS; l++) {
      types.put("l" + l + "/w1", org.xla4j.types.TensorType.of(DType.F32, D, 4 * D));
      types.put("l" + l + "/w2", org.xla4j.types.TensorType.of(DType.F32, 4 * D, D));
    }
    Tree<Tensor> params = g.parameters(types.build());
    Tensor x = g.parameter(DType.F32, N, D);
    Tree<Tensor> grad = Autodiff.grad(p -> {
      Tensor h = x;
      for (int l = 0; l < LAYERS; l++) {
        Tree<Tensor> in = Tree.of(Map.of("x", h, "w1", p.get("l" + l + "/w1"), "w2", p.get("l" + l + "/w2")));
        h = layer.apply(in).get("x");
      }
      return h.square().mean();
    }).apply(params);
    return StableHloPrinter.print(g.build(grad.leaves().toArray(Tensor[]::new)), EmitOptions.unsharded());
  }

  private static long temp(Backend b, String text, String what) {
    try (Executable exe = b.compile(text, CompileOptions.defaults())) {
      CompiledMemoryStats m = exe.compiledMemoryStats()
          .orElseThrow(() -> new AssertionError("the plugin reports no compiled memory stats"));
      System.out.printf("[remat] %s: temp %,d B, peak %,d B%n", what, m.temp(), m.peak());
      return m.temp();
    }
  }

  @Test
  void checkpointingEveryBlockLowersTheCompiledTempMemory() {
    // built before the backend is asked for, so the CPU run checks they build
    String plainText = program(RematMemoryTest::block);
    String rematText = program(Autodiff.checkpoint(RematMemoryTest::block, Autodiff.RematPolicy.NOTHING_SAVEABLE, true));
    assertTrue(rematText.contains("stablehlo.optimization_barrier"));
    Backend gpu = BackendUnderTest.pjrtOrSkip();
    long plain = temp(gpu, plainText, "no remat");
    long remat = temp(gpu, rematText, "nothing_saveable + prevent_cse");
    // The hidden activations alone are LAYERS * N * 4D * 4 B = 128 MiB. Measured on an H200 (jax 0.11.2's
    // plugin, 2026-12-02): plain 192,952,336 B, remat 130,041,880 B (0.67x): XLA still keeps each block's
    // recomputed activations and the backward's own temporaries, so the saving is the stored forward
    // activations, not half. Require a clear saving (at least 20%), well outside allocator noise.
    assertTrue(remat * 5 <= plain * 4, "remat temp " + remat + " vs plain " + plain);
  }
}
