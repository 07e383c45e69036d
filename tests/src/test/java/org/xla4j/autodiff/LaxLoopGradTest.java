package org.xla4j.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.OpException;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * {@link Lax#scan} and {@link Lax#foriLoop} differentiate, including with respect to the tensors their steps
 * close over, against central finite differences in f64 on the CPU (h = 1e-6, |ad - fd| <= 1e-6 * max(1, |fd|));
 * a data-dependent {@link Lax#whileLoop} is refused; outside a trace a loop prints as one plain while.
 */
class LaxLoopGradTest {
  private static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  private static long total(Tree<TensorType> types) {
    return types.leaves().stream().mapToLong(TensorType::numElements).sum();
  }

  @Test
  void laxScanGradientIncludesTheWeightsTheStepClosesOver() {
    Tree<TensorType> types = Tree.of(Map.of("h0", TensorType.of(DType.F64, 2, 3), "xs", TensorType.of(DType.F64, 4, 2, 3),
        "w", TensorType.of(DType.F64, 3, 3), "b", TensorType.of(DType.F64, 3)));
    List<GradCheck.Point> points = GradCheck.check(cpu, "Lax.scan rnn", types, GradCheck.gaussian(types, 3), p -> {
      Tensor w = p.get("w");
      Tensor b = p.get("b");
      Lax.ScanResult r = Lax.scan(List.of(p.get("h0")), List.of(p.get("xs")), (c, x) -> {
        Tensor h = c.get(0).matmul(w).add(x.get(0)).add(b).tanh(); // w and b: captured, not passed
        return new Lax.ScanResult(List.of(h), List.of(h.square()));
      });
      return r.ys().get(0).sum(0).add(r.carry().get(0).mul(3.0));
    }, 1e-6, 1e-6, 64);
    assertEquals(total(types), points.size(), "every element of every leaf is checked");
  }

  @Test
  void foriLoopGradientMatchesFiniteDifferences() {
    Tree<TensorType> types = Tree.of(Map.of("x", TensorType.of(DType.F64, 2, 3), "w", TensorType.of(DType.F64, 3, 3)));
    List<GradCheck.Point> points = GradCheck.check(cpu, "foriLoop", types, GradCheck.gaussian(types, 5), p -> {
      Tensor w = p.get("w");
      // the loop index enters the step too: x <- tanh(x w) * (1 + i/10)
      return Lax.foriLoop(0, 4, p.get("x"), (i, x) -> x.matmul(w).tanh().mul(i.astype(DType.F64).mul(0.1).add(1.0)));
    }, 1e-6, 1e-6, 64);
    assertEquals(total(types), points.size());
  }

  @Test
  void aScanInsideAScanDifferentiates() {
    Tree<TensorType> types = Tree.of(Map.of("xs", TensorType.of(DType.F64, 3, 2, 2), "w", TensorType.of(DType.F64, 2, 2)));
    List<GradCheck.Point> points = GradCheck.check(cpu, "nested scans", types, GradCheck.gaussian(types, 9), p -> {
      Tensor w = p.get("w");
      Lax.ScanResult outer = Lax.scan(List.of(p.get("w").graph().zeros(TensorType.of(DType.F64, 2))), List.of(p.get("xs")),
          (c, x) -> {
            Lax.ScanResult inner = Lax.scan(List.of(c.get(0)), List.of(x.get(0)), (ci, row) -> {
              Tensor h = ci.get(0).add(row.get(0).matmul(w)).sin();
              return new Lax.ScanResult(List.of(h), List.of());
            });
            return new Lax.ScanResult(inner.carry(), List.of(inner.carry().get(0)));
          });
      return outer.ys().get(0);
    }, 1e-6, 1e-6, 64);
    assertEquals(total(types), points.size());
  }

  @Test
  void aDataDependentWhileIsRefusedUnderDifferentiation() {
    Graph g = new Graph("w");
    Tensor x = g.parameter("x", TensorType.of(DType.F32, 3));
    OpException e = assertThrows(OpException.class, () -> Autodiff.grad(p -> Lax.whileLoop(List.of(p.get("x")),
        c -> c.get(0).sum().lt(100.0), c -> List.of(c.get(0).mul(2.0))).get(0).sum()).apply(Tree.of(Map.of("x", x))));
    assertTrue(e.getMessage().contains("data-dependent"), e.getMessage());
  }

  @Test
  void outsideATraceLoopsStayOnePlainWhile() {
    Graph g = new Graph("plain");
    Tensor xs = g.parameter("xs", TensorType.of(DType.F32, 5, 3));
    Tensor w = g.parameter("w", TensorType.of(DType.F32, 3));
    Lax.ScanResult r = Lax.scan(List.of(g.zeros(TensorType.of(DType.F32, 3))), List.of(xs),
        (c, x) -> new Lax.ScanResult(List.of(c.get(0).add(x.get(0).mul(w))), List.of()));
    String text = g.program(r.carry().get(0)).text();
    assertEquals(1, text.split("stablehlo.while", -1).length - 1, text);
  }
}
