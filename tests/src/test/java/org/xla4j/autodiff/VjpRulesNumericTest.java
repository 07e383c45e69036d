package org.xla4j.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.Literal;
import org.xla4j.ir.Op;
import org.xla4j.ir.Precision;
import org.xla4j.ir.UnaryKind;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Every covered op's VJP against central finite differences, in f64 on the CPU backend. Step h = 1e-6;
 * tolerance |ad - fd| <= 1e-6 * max(1, |fd|) (the difference's truncation error is about h^2 * f''' and its
 * rounding error about 1e-16 * |L| / h, both far below). Inputs are drawn away from kinks (|x| >= 0.2 for
 * abs, distinct values for max/min, positive bases for pow/log/sqrt).
 */
class VjpRulesNumericTest {
  private static final double H = 1e-6;
  private static final double TOL = 1e-6;
  private static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  /** An f64 input: its dims and the range its values are drawn from (negated at random when signed). */
  record Arg(long[] dims, double lo, double hi, boolean signed) {
    static Arg of(double lo, double hi, long... dims) { return new Arg(dims, lo, hi, false); }

    static Arg signed(double lo, double hi, long... dims) { return new Arg(dims, lo, hi, true); }
  }

  private static final String[] NAMES = {"a", "b", "c", "d"};

  /** Checks the gradient of {@code f} (over the args, in order) by finite differences. */
  private static void check(String name, Function<List<Tensor>, Tensor> f, Arg... args) {
    check(name, H, TOL, f, args);
  }

  private static void check(String name, double h, double tol, Function<List<Tensor>, Tensor> f, Arg... args) {
    Random rnd = new Random(name.hashCode());
    Tree.Builder<TensorType> types = Tree.builder();
    Tree.Builder<double[]> data = Tree.builder();
    for (int i = 0; i < args.length; i++) {
      Arg a = args[i];
      TensorType t = TensorType.of(DType.F64, a.dims());
      double[] x = new double[(int) t.numElements()];
      for (int j = 0; j < x.length; j++) {
        x[j] = a.lo() + (a.hi() - a.lo()) * rnd.nextDouble();
        if (a.signed() && rnd.nextBoolean()) x[j] = -x[j];
      }
      types.put(NAMES[i], t);
      data.put(NAMES[i], x);
    }
    List<GradCheck.Point> points = GradCheck.check(cpu, name, types.build(), data.build(), p -> {
      List<Tensor> in = new ArrayList<>();
      for (int i = 0; i < args.length; i++) in.add(p.get(NAMES[i]));
      return f.apply(in);
    }, h, tol, 64);
    assertTrue(!points.isEmpty(), name);
  }

  private static Tensor raw(Tensor like, Op op) { return like.graph().wrap(like.graph().raw().emit1(op)); }

  private static Tensor i32(Graph g, int v) { return g.scalar((long) v, DType.I32); }

  // ---- elementwise ----

  @ParameterizedTest
  @EnumSource(value = UnaryKind.class, names = {"ABS", "NEGATE", "SQRT", "RSQRT", "CBRT", "EXP", "EXPM1", "LOG",
      "LOG1P", "TANH", "LOGISTIC", "SIN", "COS", "TAN", "ERF", "FLOOR", "CEIL", "ROUND", "ROUND_EVEN", "SIGN"})
  void unary(UnaryKind kind) {
    // positive inputs for the roots and logs; rounding ops are checked away from their jumps (x.3 to x.45)
    boolean positive = switch (kind) {
      case SQRT, RSQRT, CBRT, LOG, LOG1P -> true;
      default -> false;
    };
    Arg arg = switch (kind) {
      case FLOOR, CEIL, ROUND, ROUND_EVEN -> Arg.signed(1.3, 1.45, 2, 3);
      case TAN -> Arg.signed(0.1, 1.0, 2, 3);
      default -> positive ? Arg.of(0.3, 2.0, 2, 3) : Arg.signed(0.2, 1.5, 2, 3);
    };
    check("unary " + kind, x -> raw(x.get(0), new Op.Unary(kind, x.get(0).value())), arg);
  }

  @ParameterizedTest
  @EnumSource(value = BinaryKind.class, names = {"ADD", "SUBTRACT", "MULTIPLY", "DIVIDE", "REMAINDER", "MAXIMUM",
      "MINIMUM", "POWER", "ATAN2"})
  void binary(BinaryKind kind) {
    check("binary " + kind, x -> raw(x.get(0), new Op.Binary(kind, x.get(0).value(), x.get(1).value())),
        Arg.of(0.5, 2.0, 3, 2), Arg.of(0.5, 2.0, 3, 2));
  }

  @Test
  void powerWithANegativeBaseAndAnIntegerExponent() {
    check("pow(x, 3)", x -> x.get(0).pow(x.get(0).graph().full(DType.F64, 3.0, 2, 2)), Arg.signed(0.3, 2, 2, 2));
  }

  @Test
  void selectRoutesTheCotangentToTheChosenSide() {
    check("select", x -> Jnp.where(x.get(0).gt(x.get(1)), x.get(0), x.get(1).mul(x.get(1))),
        Arg.signed(0.1, 1, 3, 3), Arg.signed(0.1, 1, 3, 3));
  }

  @Test
  void clampWithTensorAndScalarBounds() {
    check("clamp tensor bounds", x -> x.get(1).clamp(x.get(0), x.get(2)),
        Arg.of(-0.5, -0.1, 4, 3), Arg.signed(0.0, 1.0, 4, 3), Arg.of(0.1, 0.5, 4, 3));
    check("clamp scalar bounds", x -> raw(x.get(1), new Op.Clamp(x.get(0).value(), x.get(1).value(), x.get(2).value())),
        Arg.of(-0.5, -0.1), Arg.signed(0.0, 1.0, 4, 3), Arg.of(0.1, 0.5));
  }

  @Test
  void convertThroughF32() {
    // f32 rounds to ~6e-8 relative, so a larger step (1e-3) and tolerance (1e-3) apply here
    check("convert", 1e-3, 1e-3, x -> x.get(0).astype(DType.F32).square().astype(DType.F64), Arg.signed(0.2, 2, 5));
  }

  // ---- shapes ----

  @Test
  void broadcastInDimWithStretchedAndPermutedDims() {
    check("broadcast_in_dim", x -> raw(x.get(0), new Op.BroadcastInDim(x.get(0).value(),
        org.xla4j.types.Shape.of(2, 4, 3), List.of(2, 1))).tanh(), Arg.signed(0.1, 1, 3, 1));
    check("broadcast via DSL", x -> x.get(0).add(x.get(1)), Arg.signed(0.1, 1, 3, 1), Arg.signed(0.1, 1, 4));
  }

  @Test
  void reshapeTransposeReverse() {
    check("reshape", x -> x.get(0).reshape(3, 4).exp(), Arg.signed(0.1, 1, 2, 6));
    check("transpose", x -> x.get(0).transpose(2, 0, 1).mul(x.get(1)), Arg.signed(0.1, 1, 2, 3, 4),
        Arg.signed(0.1, 1, 4, 2, 3));
    check("reverse", x -> x.get(0).reverse(1).mul(x.get(0)), Arg.signed(0.1, 1, 3, 4));
  }

  @Test
  void sliceWithStrides() {
    check("slice", x -> x.get(0).slice(new long[] {1, 0}, new long[] {6, 3}, new long[] {2, 2}).exp(),
        Arg.signed(0.1, 1, 7, 4));
  }

  @Test
  void dynamicSliceAndUpdate() {
    check("dynamic_slice", x -> {
      Graph g = x.get(0).graph();
      return x.get(0).dynamicSlice(List.of(i32(g, 1), i32(g, 2)), 2, 2).square();
    }, Arg.signed(0.1, 1, 4, 5));
    check("dynamic_update_slice", x -> {
      Graph g = x.get(0).graph();
      return x.get(0).dynamicUpdateSlice(x.get(1).exp(), i32(g, 2), i32(g, 1)).mul(x.get(0));
    }, Arg.signed(0.1, 1, 4, 5), Arg.signed(0.1, 1, 2, 3));
  }

  @Test
  void concatenate() {
    check("concatenate", x -> Jnp.concat(1, x.get(0), x.get(1).square(), x.get(0)).tanh(),
        Arg.signed(0.1, 1, 2, 3), Arg.signed(0.1, 1, 2, 1));
  }

  @Test
  void padWithNegativeEdgesInteriorAndAPaddingValue() {
    check("pad", x -> raw(x.get(0), new Op.Pad(x.get(0).value(), x.get(1).value(), List.of(-1L, 2L), List.of(1L, -1L),
        List.of(1L, 2L))).square(), Arg.signed(0.1, 1, 4, 3), Arg.signed(0.1, 1));
  }

  // ---- indexing ----

  @Test
  void gatherWithRepeatedIndices() {
    check("take", x -> x.get(0).take(x.get(0).graph().constant(new int[] {2, 0, 2, 3}, 4), 0).tanh(),
        Arg.signed(0.1, 1, 4, 3));
    check("take axis 1", x -> x.get(0).take(x.get(0).graph().constant(new int[] {1, 1, 0}, 3), 1).exp(),
        Arg.signed(0.1, 1, 2, 2, 2));
  }

  @Test
  void scatterAddIntoOperandAndUpdates() {
    check("scatter-add", x -> x.get(0).scatterAdd(x.get(0).graph().constant(new int[] {1, 3, 1}, 3), x.get(1))
        .square(), Arg.signed(0.1, 1, 4, 2), Arg.signed(0.1, 1, 3, 2));
  }

  @Test
  void scatterAddSkipsOutOfBoundsUpdatesAndTheirGradients() {
    // rows 4 and -1 are outside the 4-row operand: the scatter skips them, so they get no gradient (a plain gather
    // of the cotangent would clamp them to rows 3 and 0); CapacityMoe drops token copies this way
    check("scatter-add out of bounds", x -> x.get(0).scatterAdd(x.get(0).graph().constant(new int[] {1, 4, -1, 3}, 4),
        x.get(1)).square(), Arg.signed(0.1, 1, 4, 2), Arg.signed(0.1, 1, 4, 2));
  }

  @Test
  void scatterSetIntoOperandAndUpdates() {
    // x.at[[0, 2]].set(u) with unique indices: overwritten entries of x get no gradient, u gets ct's entries
    check("scatter-set", x -> {
      Graph g = x.get(0).graph();
      TensorType s = TensorType.scalar(DType.F64);
      org.xla4j.ir.Block set = g.raw().region(List.of(s, s), true, v -> List.of(v.get(1)));
      org.xla4j.ir.ScatterDims dims = new org.xla4j.ir.ScatterDims(List.of(1), List.of(0), List.of(), List.of(),
          List.of(0), 1);
      Tensor idx = g.constant(new int[] {0, 2}, 2);
      Tensor out = g.wrap(g.raw().emit(new Op.Scatter(List.of(x.get(0).value()), idx.value(),
          List.of(x.get(1).value()), dims, set, true, true)).get(0));
      return out.mul(x.get(0));
    }, Arg.signed(0.1, 1, 4, 2), Arg.signed(0.1, 1, 2, 2));
  }

  @Test
  void secondOrder() {
    // the gradient's ops are differentiable ops too: d/dx sum(grad(sum(x^3) * sin x)) by finite differences
    check("grad of grad", x -> {
      Tree<Tensor> inner = Autodiff.grad(p -> p.get("x").mul(p.get("x")).mul(p.get("x")).mul(p.get("x").sin())
          .sum()).apply(Tree.of(java.util.Map.of("x", x.get(0))));
      return inner.get("x");
    }, Arg.signed(0.1, 1, 5));
  }

  @Test
  void topKValues() {
    check("top_k", x -> x.get(0).topK(2).values().square(), Arg.signed(0.1, 1, 3, 5));
  }

  // ---- contractions and reductions ----

  @Test
  void matmul() {
    check("matmul", x -> x.get(0).matmul(x.get(1)), Arg.signed(0.1, 1, 3, 4), Arg.signed(0.1, 1, 4, 2));
  }

  @Test
  void dotGeneralWithBatchAndContractingDimsInAnyPosition() {
    // lhs [2,3,4] batch 0 contracting 2; rhs [4,2,5] batch 1 contracting 0 -> [2,3,5]
    check("dot_general batch", x -> x.get(0).dotGeneral(x.get(1),
        new DotDims(List.of(0), List.of(1), List.of(2), List.of(0)), Precision.HIGHEST, null),
        Arg.signed(0.1, 1, 2, 3, 4), Arg.signed(0.1, 1, 4, 2, 5));
    // two contracting pairs in crossed order: lhs (0, 2) with rhs (2, 0) -> [2, 5]
    check("dot_general crossed", x -> x.get(0).dotGeneral(x.get(1),
        new DotDims(List.of(), List.of(), List.of(0, 2), List.of(2, 0)), Precision.HIGHEST, null),
        Arg.signed(0.1, 1, 3, 2, 4), Arg.signed(0.1, 1, 4, 5, 3));
  }

  @Test
  void reductions() {
    check("sum", x -> x.get(0).sum(0, 2).square(), Arg.signed(0.1, 1, 2, 3, 4));
    check("max", x -> x.get(0).max(1), Arg.signed(0.1, 1, 3, 4));
    check("min all", x -> x.get(0).min(), Arg.signed(0.1, 1, 3, 4));
    check("mean", x -> x.get(0).mean(1).exp(), Arg.signed(0.1, 1, 3, 4));
    check("softmax", x -> x.get(0).softmax(-1), Arg.signed(0.1, 2, 3, 4));
    check("logsumexp", x -> x.get(0).logsumexp(1), Arg.signed(0.1, 2, 3, 4));
  }

  @Test
  void maxTiesShareTheCotangent() {
    // both entries equal: each gets half, as jax gives; checked against that value, not a finite difference
    Graph g = new Graph("ties");
    Tensor x = g.parameter(DType.F64, 2);
    Tree<Tensor> grad = Autodiff.grad(p -> p.get("x").max()).apply(Tree.of(java.util.Map.of("x", x)));
    try (var exe = GradCheck.compile(cpu, g, List.of(grad.get("x")))) {
      double[] got = exe.execute(List.of(org.xla4j.runtime.HostTensor.ofDoubles(new double[] {1.5, 1.5}, 2)))
          .get(0).toDoubleArray();
      assertEquals(0.5, got[0], 0);
      assertEquals(0.5, got[1], 0);
    }
  }

  @Test
  void constantsIotaAndOptimizationBarrier() {
    check("iota and barrier", x -> {
      Graph g = x.get(0).graph();
      Tensor i = g.iota(TensorType.of(DType.F64, 3, 2), 0);
      return Lax.optimizationBarrier(x.get(0).mul(i), x.get(0)).get(0).exp()
          .add(raw(x.get(0), new Op.Constant(Literal.splat(TensorType.of(DType.F64, 3, 2), 2))));
    }, Arg.signed(0.1, 1, 3, 2));
  }

  @Test
  void aLayerNormComposite() {
    check("layernorm", x -> {
      Tensor v = x.get(0);
      Tensor mu = v.mean(-1, true);
      Tensor c = v.sub(mu);
      return c.mul(c.square().mean(-1, true).add(1e-5).rsqrt()).mul(x.get(1)).add(x.get(2));
    }, Arg.signed(0.1, 2, 3, 4), Arg.signed(0.5, 1.5, 4), Arg.signed(0.1, 1, 4));
  }
}
