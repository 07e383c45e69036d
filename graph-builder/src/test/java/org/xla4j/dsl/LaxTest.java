package org.xla4j.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xla4j.dsl.DslTesting.count;
import static org.xla4j.dsl.DslTesting.text;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.xla4j.ir.OpException;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

class LaxTest {
  @Test
  void foriLoopCarriesACounter() {
    Graph g = new Graph("f");
    Tensor x = g.parameter(DType.F32, 4);
    Tensor r = Lax.foriLoop(0, 10, x, (i, c) -> c.add(i.astype(DType.F32)).mul(x));
    assertEquals(x.type(), r.type());
    String t = text(g, r);
    assertEquals(1, count(t, "\"stablehlo.while\""), t);
    assertTrue(t.contains("(tensor<i32>, tensor<4xf32>) -> (tensor<i32>, tensor<4xf32>)"), t);
    assertTrue(t.contains("comparison_direction = #stablehlo<comparison_direction LT>"), t);
    assertTrue(t.contains("dense<10> : tensor<i32>"), t);
  }

  @Test
  void whileLoopRejectsChangedCarryTypes() {
    Graph g = new Graph("w");
    Tensor x = g.parameter(DType.F32, 4);
    OpException e = assertThrows(OpException.class,
        () -> Lax.whileLoop(List.of(x), c -> c.get(0).sum().lt(1.0), c -> List.of(c.get(0).sum())));
    assertTrue(e.getMessage().startsWith("whileLoop: requires body to return the carried types [tensor<4xf32>], "
        + "got [tensor<f32>]"), e.getMessage());
    assertTrue(e.getMessage().contains("LaxTest.java"), e.getMessage());
  }

  @Test
  void scanStacksOutputs() {
    Graph g = new Graph("sc");
    Tensor xs = g.parameter(DType.F32, 7, 3);
    Tensor init = g.zeros(DType.F32, 3);
    Lax.ScanResult r = Lax.scan(List.of(init), List.of(xs), (c, x) -> {
      Tensor s = c.get(0).add(x.get(0));
      return new Lax.ScanResult(List.of(s), List.of(s, s.sum()));
    });
    assertEquals(Shape.of(3), r.carry().get(0).shape());
    assertEquals(Shape.of(7, 3), r.ys().get(0).shape());
    assertEquals(Shape.of(7), r.ys().get(1).shape());
    String t = text(g, r.carry().get(0), r.ys().get(0), r.ys().get(1));
    assertEquals(1, count(t, "\"stablehlo.while\""), "the dry run leaves nothing behind: " + t);
    assertTrue(t.contains("stablehlo.dynamic_slice"), t);
    assertTrue(t.contains("stablehlo.dynamic_update_slice"), t);
  }

  @Test
  void condAndSwitch() {
    Graph g = new Graph("c");
    Tensor x = g.parameter(DType.F32, 4);
    Tensor p = g.parameter(DType.PRED);
    List<Tensor> r = Lax.cond(p, ops -> List.of(ops.get(0).exp()), ops -> List.of(ops.get(0).neg()), List.of(x));
    List<Function<List<Tensor>, List<Tensor>>> branches = List.of(o -> List.of(o.get(0)), o -> List.of(o.get(0).tanh()));
    List<Tensor> s = Lax.switchCase(g.parameter(DType.I32), branches, List.of(x));
    String t = text(g, r.get(0), s.get(0));
    assertTrue(t.contains("\"stablehlo.if\""), t);
    assertTrue(t.contains("\"stablehlo.case\""), t);
  }

  @Test
  void condBranchesMustAgree() {
    Graph g = new Graph("c");
    Tensor x = g.parameter(DType.F32, 4);
    OpException e = assertThrows(OpException.class, () -> Lax.cond(g.parameter(DType.PRED),
        ops -> List.of(ops.get(0)), ops -> List.of(ops.get(0).sum()), List.of(x)));
    assertTrue(e.getMessage().startsWith("stablehlo.if: requires branches returning the same types"), e.getMessage());
  }

  @Test
  void barrierCustomCallAndHelperFunctions() {
    Graph g = new Graph("misc");
    Tensor x = g.parameter(DType.F32, 4);
    List<Tensor> b = Lax.optimizationBarrier(x, x.exp());
    List<Tensor> cc = Lax.customCall("my_kernel", List.of(b.get(0)), List.of(TensorType.of(DType.F32, 4)));
    Graph.Fn silu = g.function("silu", List.of(x.type()), a -> List.of(a.get(0).mul(a.get(0).sigmoid())));
    Tensor y = silu.call(cc.get(0)).get(0);
    Graph other = new Graph("other");
    Tensor outer = other.parameter(DType.F32, 4);
    OpException e = assertThrows(OpException.class,
        () -> other.function("bad", List.of(x.type()), a -> List.of(a.get(0).add(outer))));
    assertTrue(e.getMessage().startsWith("stablehlo.add: requires operand 1 (tensor<4xf32>) to be defined in this function"),
        e.getMessage());
    String t = text(g, y, b.get(1));
    assertTrue(t.contains("stablehlo.optimization_barrier"), t);
    assertTrue(t.contains("call_target_name = \"my_kernel\""), t);
    assertTrue(t.contains("func.func private @silu"), t);
    assertTrue(t.contains("\"func.call\"(%"), t);
  }
}
