package org.xla4j.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.Block;
import org.xla4j.ir.Comparison;
import org.xla4j.ir.Op;
import org.xla4j.ir.OpException;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The VJPs of sort (one and several operands), if, case and chlo.ragged_dot against central finite
 * differences, in f64 on the CPU backend: step h = 1e-6, tolerance |ad - fd| <= 1e-6 * max(1, |fd|), as in
 * {@link VjpRulesNumericTest}. Sort keys are spaced at least 0.05 apart (far more than h), so no step
 * reorders them. ragged_dot programs run with the op written densely ({@link DenseRaggedDot}), since this
 * CPU XLA has no ragged_dot; the rule's own ops (a ragged_dot for d lhs, tiles for d rhs) are what is checked.
 */
class ControlFlowVjpTest {
  private static final double H = 1e-6;
  private static final double TOL = 1e-6;
  private static final String[] NAMES = {"a", "b", "c"};
  private static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  /** Random values in ±[0.2, 1.2]. */
  private static double[] random(Random rnd, int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) x[i] = (0.2 + rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1);
    return x;
  }

  /** Distinct keys: a shuffled ladder 0.05 apart, plus noise below 0.01. */
  private static double[] distinct(Random rnd, int n) {
    List<Double> ladder = new ArrayList<>();
    for (int i = 0; i < n; i++) ladder.add(-1 + 0.05 * i + 0.01 * rnd.nextDouble());
    java.util.Collections.shuffle(ladder, rnd);
    return ladder.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static void check(String name, Function<List<Tensor>, Tensor> f, GradCheck.Printer printer,
      List<long[]> dims, List<double[]> values) {
    Tree.Builder<TensorType> types = Tree.builder();
    Tree.Builder<double[]> data = Tree.builder();
    for (int i = 0; i < dims.size(); i++) {
      types.put(NAMES[i], TensorType.of(DType.F64, dims.get(i)));
      data.put(NAMES[i], values.get(i));
    }
    List<GradCheck.Point> points = GradCheck.check(cpu, name, types.build(), data.build(), p -> {
      List<Tensor> in = new ArrayList<>();
      for (int i = 0; i < dims.size(); i++) in.add(p.get(NAMES[i]));
      return f.apply(in);
    }, H, TOL, 64, printer);
    assertTrue(points.size() >= dims.size(), name);
    // a gradient that is zero everywhere would pass against a flat function; these functions are not flat
    assertTrue(points.stream().anyMatch(pt -> Math.abs(pt.analytic()) > 1e-3), name + ": some gradient is non-zero");
  }

  private static void check(String name, Function<List<Tensor>, Tensor> f, List<long[]> dims, List<double[]> values) {
    check(name, f, GradCheck::print, dims, values);
  }

  // ---- sort ----

  @Test
  void sortOneOperandAlongEitherAxis() {
    Random rnd = new Random(1);
    check("sort last axis", x -> x.get(0).sort().mul(x.get(0).sort()).add(x.get(0).sort(-1, false)),
        List.of(new long[] {3, 5}), List.of(distinct(rnd, 15)));
    check("sort axis 0 descending", x -> x.get(0).sort(0, true).tanh(), List.of(new long[] {6, 2}),
        List.of(distinct(rnd, 12)));
  }

  /** {@code stablehlo.sort} of (keys, values, more values) by the keys, ascending. */
  private static List<Tensor> sortBy(List<Tensor> xs, int dim) {
    Graph g = xs.get(0).graph();
    List<TensorType> args = new ArrayList<>();
    for (Tensor t : xs) {
      args.add(TensorType.scalar(t.dtype()));
      args.add(TensorType.scalar(t.dtype()));
    }
    Block cmp = g.raw().region(args, true, v -> List.of(g.raw().emit1(
        new Op.Compare(Comparison.Direction.LT, Comparison.Type.FLOAT, v.get(0), v.get(1)))));
    return g.raw().emit(new Op.Sort(xs.stream().map(Tensor::value).toList(), dim, true, cmp)).stream()
        .map(g::wrap).toList();
  }

  @Test
  void sortSeveralOperandsByTheFirst() {
    Random rnd = new Random(2);
    // the values follow the keys' permutation; both sorted results feed the loss, and so do the keys themselves
    check("sort (keys, values, values)", x -> {
      List<Tensor> s = sortBy(List.of(x.get(0), x.get(1), x.get(2)), 1);
      return s.get(0).mul(s.get(1)).add(s.get(2).sin()).add(s.get(1).square());
    }, List.of(new long[] {2, 6}, new long[] {2, 6}, new long[] {2, 6}),
        List.of(distinct(rnd, 12), random(rnd, 12), random(rnd, 12)));
    // only a value operand differentiated: the keys are constants
    double[] keys = distinct(rnd, 5);
    check("sort values only", x -> sortBy(List.of(x.get(0).graph().constant(keys, 5), x.get(0)), 0).get(1).exp()
        .mul(x.get(0).graph().constant(new double[] {1, 2, 3, 4, 5}, 5)), List.of(new long[] {5}), List.of(random(rnd, 5)));
  }

  // ---- if / case ----

  private static Tensor condOn(Tensor pred, Tensor a, Tensor b) {
    return Lax.cond(pred, ops -> List.of(ops.get(0).mul(ops.get(1)).sin(), ops.get(0).exp()),
        ops -> List.of(ops.get(1).tanh().mul(2.0), ops.get(1)), List.of(a, b)).stream()
        .reduce(Tensor::add).orElseThrow();
  }

  @Test
  void ifDifferentiatesTheBranchTaken() {
    Random rnd = new Random(3);
    double[] a = random(rnd, 6);
    double[] b = random(rnd, 6);
    List<long[]> dims = List.of(new long[] {2, 3}, new long[] {2, 3});
    // the predicate is data-dependent (a's sum against a threshold), so it is not folded away
    check("if, then taken", x -> condOn(x.get(0).sum().gt(-100.0), x.get(0), x.get(1)), dims, List.of(a, b));
    check("if, else taken", x -> condOn(x.get(0).sum().gt(100.0), x.get(0), x.get(1)), dims, List.of(a, b));
  }

  @Test
  void ifNestedInABranch() {
    Random rnd = new Random(4);
    double[] a = random(rnd, 4);
    double[] b = random(rnd, 4);
    List<long[]> dims = List.of(new long[] {4}, new long[] {4});
    Function<List<Tensor>, Tensor> f = x -> {
      Tensor a0 = x.get(0);
      Tensor b0 = x.get(1);
      return Lax.cond(a0.sum().gt(-100.0), ops -> {
        // the inner conditional reads a and b from two levels out
        Tensor inner = Lax.cond(b0.sum().gt(-100.0), o -> List.of(a0.mul(b0).exp()), o -> List.of(a0), List.of()).get(0);
        return List.of(inner.add(b0.square()));
      }, ops -> List.of(a0), List.of()).get(0);
    };
    check("nested if", f, dims, List.of(a, b));
  }

  @Test
  void ifGradientEqualsTheClosedForm() {
    // d/da sum(stop(b) * a^2) = 2 a stop(b) through the then-branch: checks stopGradient inside a branch exactly
    Graph g = new Graph("if_closed_form");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("a", TensorType.of(DType.F64, 3), "b", TensorType.of(DType.F64, 3))));
    Tree<Tensor> grad = Autodiff.grad(t -> Lax.cond(t.get("a").sum().gt(-100.0),
        o -> List.of(t.get("a").square().mul(Autodiff.stopGradient(t.get("b")))), o -> List.of(t.get("b")), List.of())
        .get(0).sum()).apply(p);
    try (var exe = GradCheck.compile(cpu, g, List.of(grad.get("a"), grad.get("b")))) {
      double[] a = {0.5, -1.0, 2.0};
      double[] b = {3.0, 0.25, -1.5};
      var out = exe.execute(List.of(org.xla4j.runtime.HostTensor.ofDoubles(DType.F64, org.xla4j.types.Shape.of(3), a),
          org.xla4j.runtime.HostTensor.ofDoubles(DType.F64, org.xla4j.types.Shape.of(3), b)));
      double[] da = out.get(0).toDoubleArray();
      double[] db = out.get(1).toDoubleArray();
      for (int i = 0; i < 3; i++) {
        assertEquals(2 * a[i] * b[i], da[i], 1e-12, "d a[" + i + "]");
        assertEquals(0.0, db[i], 0.0, "d b[" + i + "] (stopped)");
      }
    }
  }

  @Test
  void ifInsideAForiLoop() {
    // the loop differentiates as a scan whose backward re-runs each step: the conditional's backward is built
    // inside that re-run; which branch runs depends on the carry at each step
    Random rnd = new Random(7);
    check("if in foriLoop", x -> Lax.foriLoop(0, 4, x.get(0), (i, c) -> Lax.cond(c.sum().gt(0.0),
        o -> List.of(c.mul(x.get(1)).sin().sub(0.3)), o -> List.of(c.tanh().add(x.get(1).square())), List.of()).get(0)),
        List.of(new long[] {3}, new long[] {3}), List.of(random(rnd, 3), random(rnd, 3)));
  }

  @Test
  void caseDifferentiatesEachBranchAndClampsTheIndex() {
    Random rnd = new Random(5);
    double[] a = random(rnd, 6);
    double[] b = random(rnd, 3);
    List<long[]> dims = List.of(new long[] {2, 3}, new long[] {3});
    for (int index : new int[] {0, 1, 2, 7}) {
      check("case index " + index, x -> {
        Tensor a0 = x.get(0);
        Tensor b0 = x.get(1);
        // the index depends on data only through a comparison that always holds, so it stays an op
        Tensor idx = Lax.cond(a0.sum().gt(-100.0), o -> List.of(a0.graph().scalar((long) index, DType.I32)),
            o -> List.of(a0.graph().scalar(0L, DType.I32)), List.of()).get(0);
        List<Function<List<Tensor>, List<Tensor>>> branches = List.of(
            o -> List.of(o.get(0).mul(o.get(1)).exp()),
            o -> List.of(o.get(0).tanh()),                         // b unused here: its cotangent is zero
            o -> List.of(o.get(1).square().add(o.get(0).sin())));
        return Lax.switchCase(idx, branches, List.of(a0, b0)).get(0);
      }, dims, List.of(a, b));
    }
  }

  @Test
  void dataDependentWhileIsStillRefused() {
    Graph g = new Graph("while_refused");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("x", TensorType.of(DType.F32, 3))));
    OpException e = assertThrows(OpException.class, () -> Autodiff.grad(t -> Lax.whileLoop(List.of(t.get("x")),
        c -> c.get(0).sum().lt(100.0), c -> List.of(c.get(0).mul(2.0))).get(0).sum()).apply(p));
    assertTrue(e.getMessage().startsWith("stablehlo.while: not differentiable"), e.getMessage());
  }

  /** A data-dependent loop, built in its own method so that its location is recognizable. */
  private static List<Tensor> doublingLoop(Tensor x) {
    return Lax.whileLoop(List.of(x), c -> c.get(0).sum().lt(100.0), c -> List.of(c.get(0).mul(2.0)));
  }

  @Test
  void aWhileInsideABranchIsRefusedAtItsOwnLine() {
    Graph g = new Graph("while_in_branch");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("x", TensorType.of(DType.F32, 3))));
    OpException e = assertThrows(OpException.class, () -> Autodiff.grad(t -> Lax.cond(t.get("x").sum().gt(0.0),
        o -> doublingLoop(t.get("x")), o -> List.of(t.get("x")), List.of()).get(0).sum()).apply(p));
    assertTrue(e.getMessage().startsWith("stablehlo.while: not differentiable"), e.getMessage());
    // the recomputed branch keeps the forward's locations, so the error points at the loop, not at grad
    assertEquals("ControlFlowVjpTest.doublingLoop", e.location().method(), e.getMessage());
  }

  @Test
  void customVjpInsideABranchIsRefusedClearly() {
    Graph g = new Graph("custom_in_branch");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("x", TensorType.of(DType.F32, 3))));
    OpException e = assertThrows(OpException.class, () -> Autodiff.grad(t -> Lax.cond(t.get("x").sum().gt(0.0),
        o -> List.of(Autodiff.checkpoint(q -> Tree.of(Map.of("y", q.get("x").sin())),
            Autodiff.RematPolicy.NOTHING_SAVEABLE, false).apply(Tree.of(Map.of("x", t.get("x")))).get("y")),
        o -> List.of(t.get("x")), List.of()).get(0).sum()).apply(p));
    assertTrue(e.getMessage().startsWith("stablehlo.if: not differentiable: a customVjp"), e.getMessage());
    assertTrue(e.getMessage().contains("ControlFlowVjpTest.java"), e.getMessage());
  }

  // ---- ragged_dot ----

  @Test
  void raggedDotAgainstFiniteDifferences() {
    Random rnd = new Random(6);
    long m = 10;
    long k = 3;
    long n = 4;
    // groups of 3, 0 and 5 rows: an empty group, and 2 rows past the last group (their output is 0)
    for (int[] sizes : new int[][] {{3, 0, 5}, {4, 4, 2}}) {
      check("ragged_dot " + java.util.Arrays.toString(sizes), x -> {
        Tensor gs = x.get(0).graph().constant(sizes, sizes.length);
        return Lax.raggedDot(x.get(0), x.get(1), gs, null).tanh();
      }, DenseRaggedDot::print, List.of(new long[] {m, k}, new long[] {3, k, n}),
          List.of(random(rnd, (int) (m * k)), random(rnd, (int) (3 * k * n))));
    }
  }

  @Test
  void raggedDotVjpEmitsARaggedDotForTheRowsAndNoneForTheWeights() {
    Graph g = new Graph("ragged_grad");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("x", TensorType.of(DType.F32, 6, 2), "w", TensorType.of(DType.F32, 2, 2, 3))));
    Tensor sizes = g.constant(new int[] {2, 4}, 2);
    Tree<Tensor> grad = Autodiff.grad(t -> Lax.raggedDot(t.get("x"), t.get("w"), sizes, null).sum()).apply(p);
    String text = GradCheck.print(g, List.of(grad.get("x"), grad.get("w")));
    assertEquals(2, text.split("chlo.ragged_dot\"", -1).length - 1, "one forward, one for d x: " + text);
    assertTrue(text.contains("stablehlo.while"), "d w is the tile loop");
  }
}
