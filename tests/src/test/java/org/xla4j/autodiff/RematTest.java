package org.xla4j.autodiff;

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
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.Precision;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * Rematerialization: every policy, with and without prevent_cse, gives the gradients of plain
 * differentiation (f64 on the CPU, 1e-12 relative: the same ops in another order at most), and the printed
 * program shows what it recomputes (dots and tanh counted) and the optimization barrier.
 */
class RematTest {
  private static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  /** Two layers: a plain matmul (no batch dims) and a batched dot_general, with tanh after each. */
  private static Tree<Tensor> block(Tree<Tensor> p) {
    Tensor h = p.get("x").matmul(p.get("w1")).tanh(); // [2, 3, 4]
    DotDims batched = new DotDims(List.of(0), List.of(0), List.of(2), List.of(1));
    Tensor y = h.dotGeneral(p.get("w2"), batched, Precision.DEFAULT, null).tanh(); // [2, 3, 5]
    return Tree.of(Map.of("y", y));
  }

  private record Built(String text, List<double[]> grads) {}

  private static Built build(Function<Tree<Tensor>, Tree<Tensor>> f) {
    Graph g = new Graph("remat");
    List<Tensor> params = List.of(g.parameter(DType.F64, 2, 3, 6), g.parameter(DType.F64, 6, 4),
        g.parameter(DType.F64, 2, 4, 5));
    Tree<Tensor> p = Tree.of(Map.of("x", params.get(0), "w1", params.get(1), "w2", params.get(2)));
    Tree<Tensor> grad = Autodiff.grad(q -> f.apply(q).get("y").square().sum()).apply(p);
    List<Tensor> outs = grad.leaves();
    String text = StableHloPrinter.print(g.build(outs.toArray(Tensor[]::new)), EmitOptions.unsharded());
    Random r = new Random(9);
    List<HostTensor> args = new ArrayList<>();
    for (Tensor t : params) {
      double[] d = new double[(int) t.type().numElements()];
      for (int i = 0; i < d.length; i++) d[i] = r.nextGaussian() * 0.5;
      args.add(HostTensor.ofDoubles(d, t.type().shape().dims()));
    }
    List<double[]> grads = new ArrayList<>();
    try (Executable exe = cpu.compile(text, org.xla4j.runtime.CompileOptions.defaults())) {
      for (HostTensor h : exe.execute(args)) grads.add(h.toDoubleArray());
    }
    return new Built(text, grads);
  }

  private static int count(String text, String op) { return text.split(java.util.regex.Pattern.quote(op), -1).length - 1; }

  @Test
  void everyPolicyKeepsTheGradientsAndRecomputesWhatItDoesNotSave() {
    Built plain = build(RematTest::block);
    int dots = count(plain.text(), "stablehlo.dot_general");
    int tanhs = count(plain.text(), "stablehlo.tanh");
    assertEquals(2, tanhs, plain.text());
    assertEquals(0, count(plain.text(), "optimization_barrier"));
    for (Autodiff.RematPolicy policy : Autodiff.RematPolicy.values()) {
      for (boolean cse : new boolean[] {false, true}) {
        Built b = build(Autodiff.checkpoint(RematTest::block, policy, cse));
        String what = policy + (cse ? " prevent_cse" : "");
        for (int i = 0; i < plain.grads().size(); i++) {
          double[] want = plain.grads().get(i);
          double[] got = b.grads().get(i);
          for (int j = 0; j < want.length; j++) {
            assertEquals(want[j], got[j], 1e-12 * Math.max(1, Math.abs(want[j])), what + " grad " + i + "[" + j + "]");
          }
        }
        int d = count(b.text(), "stablehlo.dot_general");
        int t = count(b.text(), "stablehlo.tanh");
        int barriers = count(b.text(), "stablehlo.optimization_barrier");
        switch (policy) {
          case EVERYTHING_SAVEABLE -> assertEquals(plain.text(), b.text(), what); // nothing recomputed
          case NOTHING_SAVEABLE -> {
            assertEquals(dots + 2, d, what + ": both dots recomputed\n" + b.text());
            assertEquals(4, t, what + ": both tanh recomputed");
          }
          case DOTS_SAVEABLE, CHECKPOINT_DOTS -> {
            assertEquals(dots, d, what + ": no dot recomputed\n" + b.text());
            assertEquals(4, t, what + ": the tanh recomputed from the saved dots");
          }
          case DOTS_WITH_NO_BATCH_DIMS_SAVEABLE -> {
            assertEquals(dots + 1, d, what + ": only the batched dot recomputed\n" + b.text());
            assertEquals(4, t, what);
          }
        }
        if (policy != Autodiff.RematPolicy.EVERYTHING_SAVEABLE) assertEquals(cse ? 1 : 0, barriers, what + "\n" + b.text());
      }
    }
  }

  /**
   * Remat on a name scope: the scope's body closes over x, w1 and w2 (no explicit inputs); NOTHING_SAVEABLE
   * gives plain differentiation's gradients, recomputes both dots and both tanh behind a barrier, and its ops
   * carry the scope's name.
   */
  @Test
  void aCheckpointedNameScopeRecomputesItsBodyFromWhatItClosesOver() {
    Built plain = build(RematTest::block);
    int dots = count(plain.text(), "stablehlo.dot_general");
    Built b = build(p -> {
      Graph g = p.get("x").graph();
      return Autodiff.checkpointScope(g, "layer_0", Autodiff.RematPolicy.NOTHING_SAVEABLE, true, () -> block(p));
    });
    for (int i = 0; i < plain.grads().size(); i++) {
      double[] want = plain.grads().get(i);
      double[] got = b.grads().get(i);
      for (int j = 0; j < want.length; j++) {
        assertEquals(want[j], got[j], 1e-12 * Math.max(1, Math.abs(want[j])), "grad " + i + "[" + j + "]");
      }
    }
    assertEquals(dots + 2, count(b.text(), "stablehlo.dot_general"), "both dots recomputed\n" + b.text());
    assertEquals(4, count(b.text(), "stablehlo.tanh"));
    assertEquals(1, count(b.text(), "stablehlo.optimization_barrier"));
    // outside a differentiated function it is just the scope: same program as the body in g.scope
    Graph g = new Graph("s");
    Tree<Tensor> p = Tree.of(Map.of("x", g.parameter(DType.F64, 2, 3, 6), "w1", g.parameter(DType.F64, 6, 4),
        "w2", g.parameter(DType.F64, 2, 4, 5)));
    Tree<Tensor> y = Autodiff.checkpointScope(g, "layer_0", Autodiff.RematPolicy.NOTHING_SAVEABLE, true, () -> block(p));
    assertEquals(2, count(g.program(y).text(), "stablehlo.dot_general"));
  }
}
