package org.xla4j.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Tensor;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * {@link Autodiff#scan}: an RNN's loss gradient with respect to the initial carry, the inputs and the
 * weights, against central finite differences in f64 on the CPU (h = 1e-6, |ad - fd| <= 1e-6 * max(1, |fd|)).
 */
class ScanGradTest {
  private static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  private static double[] randn(Random rnd, int n, double scale) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) a[i] = scale * rnd.nextGaussian();
    return a;
  }

  @Test
  void rnnGradientThroughAScanMatchesFiniteDifferences() {
    int steps = 5;
    int batch = 2;
    int hidden = 3;
    int in = 4;
    Tree<TensorType> types = Tree.of(Map.of("h0", TensorType.of(DType.F64, batch, hidden),
        "xs", TensorType.of(DType.F64, steps, batch, in), "w", TensorType.of(DType.F64, hidden, hidden),
        "u", TensorType.of(DType.F64, in, hidden), "b", TensorType.of(DType.F64, hidden)));
    Random rnd = new Random(17);
    Tree<double[]> data = types.map(t -> randn(rnd, (int) t.numElements(), 0.6));
    List<GradCheck.Point> points = GradCheck.check(cpu, "rnn scan", types, data, p -> {
      Autodiff.ScanOut r = Autodiff.scan(Tree.of(Map.of("h", p.get("h0"))), Tree.of(Map.of("x", p.get("xs"))),
          p.filter(path -> path.equals("w") || path.equals("u") || path.equals("b")), (c, x, k) -> {
            Tensor h = c.get("h").matmul(k.get("w")).add(x.get("x").matmul(k.get("u"))).add(k.get("b")).tanh();
            return new Autodiff.ScanOut(Tree.of(Map.of("h", h)), Tree.of(Map.of("h", h, "h2", h.square())));
          });
      // the loss reads the stacked outputs and the final carry
      return r.ys().get("h").sum(0).add(r.ys().get("h2").mean(0)).add(r.carry().get("h").mul(2.0));
    }, 1e-6, 1e-6, 64);
    assertEquals(types.leaves().stream().mapToLong(TensorType::numElements).sum(), points.size(),
        "every element of every leaf is checked");
  }
}
