package org.xla4j.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Block;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.ModuleBuilder;
import org.xla4j.ir.Op;
import org.xla4j.ir.OpException;
import org.xla4j.ir.Operation;
import org.xla4j.ir.ReduceKind;
import org.xla4j.ir.Value;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/** Structure of differentiation without running it: tree shapes, refusals, reduction kinds. */
class AutodiffTest {
  private static final TensorType V3 = TensorType.of(DType.F32, 3);

  @Test
  void gradientIsATreeOfTheParametersPathsAndTypes() {
    Graph g = new Graph("g");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("a/w", TensorType.of(DType.F32, 3, 2), "a/b", V3,
        "unused", TensorType.of(DType.F64, 5))));
    Tree<Tensor> grad = Autodiff.grad(t -> t.get("a/w").sum(1).mul(t.get("a/b")).sum()).apply(p);
    assertEquals(p.paths(), grad.paths());
    for (String path : p.paths()) assertEquals(p.get(path).type(), grad.get(path).type(), path);
    // the module prints, so the backward ops are well-formed
    String text = StableHloPrinter.print(g.build(grad.leaves().toArray(Tensor[]::new)), EmitOptions.unsharded());
    assertTrue(text.contains("stablehlo.broadcast_in_dim"), text);
  }

  @Test
  void aWhileLoopIsRefusedNamingTheOpAndTheCallSite() {
    Graph g = new Graph("g");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("x", V3)));
    OpException e = assertThrows(OpException.class,
        () -> Autodiff.grad(t -> Lax.whileLoop(java.util.List.of(t.get("x")), c -> c.get(0).sum().lt(100.0),
            c -> java.util.List.of(c.get(0).mul(2.0))).get(0).sum()).apply(p));
    assertTrue(e.getMessage().startsWith("stablehlo.while: not differentiable"), e.getMessage());
    assertTrue(e.getMessage().contains("AutodiffTest.java"), e.getMessage());
    assertTrue(e.getMessage().contains("use Lax.scan, Lax.foriLoop with static bounds or Autodiff.scan"), e.getMessage());
  }

  @Test
  void aScanStepThatClosesOverADifferentiatedValueIsRefused() {
    Graph g = new Graph("g");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("w", V3, "xs", TensorType.of(DType.F32, 4, 3))));
    OpException e = assertThrows(OpException.class, () -> Autodiff.grad(t -> Autodiff.scan(
        Tree.of(Map.of("h", g.zeros(V3))), Tree.of(Map.of("x", t.get("xs"))), Tree.empty(), (c, x, k) -> {
          Tensor h = c.get("h").mul(t.get("w")).add(x.get("x"));
          return new Autodiff.ScanOut(Tree.of(Map.of("h", h)), Tree.empty());
        }).carry().get("h").sum()).apply(p));
    assertTrue(e.getMessage().contains("only through its inputs"), e.getMessage());
  }

  @Test
  void aLoopThatOnlyReadsConstantsIsNotDifferentiatedAndNotRefused() {
    Graph g = new Graph("g");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("x", V3)));
    Tree<Tensor> grad = Autodiff.grad(t -> {
      Tensor k = Lax.foriLoop(0, 3, g.ones(V3), (i, c) -> c.mul(2.0));
      return t.get("x").mul(k).sum();
    }).apply(p);
    assertEquals(V3, grad.get("x").type());
  }

  @Test
  void aCustomCallIsRefusedUnlessWrappedInACustomVjp() {
    Graph g = new Graph("g");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("x", V3)));
    OpException e = assertThrows(OpException.class,
        () -> Autodiff.grad(t -> Lax.customCall("my_kernel", List.of(t.get("x")), List.of(V3)).get(0).sum()).apply(p));
    assertTrue(e.getMessage().contains("not differentiable: custom call @my_kernel"), e.getMessage());

    Tree<Tensor> grad = Autodiff.grad(t -> Autodiff.customVjp(
        in -> Autodiff.Forward.of(Tree.of(Map.of("y",
            Lax.customCall("my_kernel", List.of(in.get("x")), List.of(V3)).get(0))), in),
        (res, ct) -> Tree.of(Map.of("x", ct.get("y").mul(res.get("x"))))).apply(t).get("y").sum()).apply(p);
    assertEquals(V3, grad.get("x").type());
  }

  @Test
  void aCustomVjpForwardThatClosesOverADifferentiatedValueIsRefused() {
    Graph g = new Graph("g");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("w", V3, "x", V3)));
    OpException e = assertThrows(OpException.class, () -> Autodiff.grad(t -> Autodiff.customVjp(
        in -> Autodiff.Forward.of(Tree.of(Map.of("y", in.get("x").mul(t.get("w")))), in),
        (res, ct) -> Tree.of(Map.of("x", ct.get("y")))).apply(t.filter("x"::equals)).get("y").sum()).apply(p));
    assertTrue(e.getMessage().contains("only through its inputs"), e.getMessage());
    assertTrue(e.getMessage().contains("AutodiffTest.java"), e.getMessage());
  }

  @Test
  void integerPathsCarryNoGradientAndNeedNoRule() {
    Graph g = new Graph("g");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("x", TensorType.of(DType.F32, 4, 3))));
    // argmax is a multi-input reduce with no rule, but its index output is an integer: nothing flows there
    Tree<Tensor> grad = Autodiff.grad(t -> t.get("x").take(t.get("x").sum(1).argmax(0).reshape(1), 0).sum())
        .apply(p);
    assertEquals(TensorType.of(DType.F32, 4, 3), grad.get("x").type());
  }

  @Test
  void integerPrimalsGetZeros() {
    Graph g = new Graph("g");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("ids", TensorType.of(DType.I32, 2), "emb", TensorType.of(DType.F32, 5, 3))));
    Tree<Tensor> grad = Autodiff.grad(t -> t.get("emb").take(t.get("ids"), 0).sum().add(t.get("ids").astype(DType.F32).sum()))
        .apply(p);
    Op ids = g.raw().args().get(0).block().ops().stream().filter(o -> o.results().contains(grad.get("ids").value()))
        .findFirst().orElseThrow().op();
    assertTrue(ids instanceof Op.Constant, "the integer primal's gradient is a zeros constant, got " + ids);
  }

  @Test
  void halfPrecisionWithF32AccumulationBuilds() {
    // bf16 weights, a bf16 x bf16 -> f32 matmul and bf16 sums (which accumulate in f32): gradients stay bf16
    Graph g = new Graph("g");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("w", TensorType.of(DType.BF16, 4, 3))));
    Tensor x = g.parameter(DType.BF16, 2, 4);
    Tree<Tensor> grad = Autodiff.grad(t -> x.matmul(t.get("w"), DType.F32).tanh().astype(DType.BF16).sum()
        .astype(DType.F32)).apply(p);
    assertEquals(TensorType.of(DType.BF16, 4, 3), grad.get("w").type());
    String text = StableHloPrinter.print(g.build(grad.get("w")), EmitOptions.unsharded());
    assertTrue(text.contains("stablehlo.dot_general"), text);
  }

  @Test
  void gradRequiresAFloatScalar() {
    Graph g = new Graph("g");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of("x", V3)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Autodiff.grad(t -> t.get("x").exp()).apply(p));
    assertTrue(e.getMessage().contains("float scalar, got tensor<3xf32>"), e.getMessage());
  }

  @Test
  void reductionsCarryTheirKind() {
    Graph g = new Graph("g");
    Tensor x = g.parameter(TensorType.of(DType.F32, 2, 3));
    x.sum(1);
    x.max(0);
    x.min(1);
    x.argmax(1);
    List<ReduceKind> kinds = g.raw().args().get(0).block().ops().stream().map(Operation::op)
        .filter(o -> o instanceof Op.Reduce).map(o -> ((Op.Reduce) o).kind()).toList();
    assertEquals(List.of(ReduceKind.SUM, ReduceKind.MAX, ReduceKind.MIN, ReduceKind.CUSTOM), kinds);
  }

  @Test
  void aReduceBuiltWithoutAKindReadsItFromTheBodyAndAWrongKindIsRejected() {
    ModuleBuilder mb = new ModuleBuilder("m");
    FunctionBuilder fb = mb.function("main");
    Value x = fb.arg(TensorType.of(DType.F32, 4));
    Value zero = fb.emit1(new Op.Constant(org.xla4j.ir.Literal.splat(TensorType.scalar(DType.F32), 0)));
    TensorType s = TensorType.scalar(DType.F32);
    Block add = fb.region(List.of(s, s), true, a -> List.of(fb.emit1(new Op.Binary(BinaryKind.ADD, a.get(1), a.get(0)))));
    assertEquals(ReduceKind.SUM, new Op.Reduce(List.of(x), List.of(zero), List.of(0), add).kind());
    OpException e = assertThrows(OpException.class,
        () -> fb.emit1(new Op.Reduce(List.of(x), List.of(zero), List.of(0), add, ReduceKind.MAX)));
    assertTrue(e.getMessage().contains("a kind that matches the body (SUM), got MAX"), e.getMessage());
  }
}
