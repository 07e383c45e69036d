package org.xla4j.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xla4j.ir.OpException;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

class BroadcastingTest {
  private static long[] dims(String s) {
    return s.isBlank() ? new long[0] : java.util.Arrays.stream(s.trim().split(" ")).mapToLong(Long::parseLong).toArray();
  }

  @ParameterizedTest(name = "[{0}] with [{1}] -> [{2}]")
  @CsvSource({
      "2 3, 2 3, 2 3", "2 3, 3, 2 3", "2 3, '', 2 3", "8 1 6, 7 1, 8 7 6", "4 1 3, 5 1, 4 5 3",
      "1, 5 4, 5 4", "5 1, 1 6, 5 6", "'', '', ''", "3 1 1, 1 2 1, 3 2 1", "0 3, 1 3, 0 3"})
  void resultShapes(String a, String b, String want) {
    Graph g = new Graph("b");
    Tensor x = g.parameter(DType.F32, dims(a));
    Tensor y = g.parameter(DType.F32, dims(b));
    assertEquals(Shape.of(dims(want)), x.add(y).shape());
    assertEquals(Shape.of(dims(want)), y.mul(x).shape());
    assertEquals(Shape.of(dims(want)), x.lt(y).shape());
  }

  @Test
  void incompatibleShapesNameOpShapesAndCallSite() {
    Graph g = new Graph("b");
    Tensor x = g.parameter(DType.F32, 2, 3);
    Tensor y = g.parameter(DType.F32, 4);
    OpException e = assertThrows(OpException.class, () -> x.add(y));
    String m = e.getMessage();
    assertTrue(m.startsWith("add: requires broadcast-compatible shapes, got [2, 3] and [4]"), m);
    assertTrue(m.contains("BroadcastingTest.java:"), m);
    assertTrue(m.contains("(at BroadcastingTest."), m);
    assertEquals("add", e.opName());
    assertEquals("BroadcastingTest.java", e.location().file());
  }

  @Test
  void eachOpUsesItsOwnName() {
    Graph g = new Graph("b");
    Tensor x = g.parameter(DType.F32, 2, 3);
    Tensor y = g.parameter(DType.F32, 2);
    for (var c : java.util.Map.<String, Runnable>of(
        "sub", () -> x.sub(y), "mul", () -> x.mul(y), "maximum", () -> x.maximum(y), "ge", () -> x.ge(y),
        "where", () -> Jnp.where(x.gt(0.0), x, y), "div", () -> x.div(y)).entrySet()) {
      OpException e = assertThrows(OpException.class, c.getValue()::run);
      assertTrue(e.getMessage().startsWith(c.getKey() + ": requires broadcast-compatible shapes, got [2, 3] and [2]"),
          e.getMessage());
    }
  }

  @Test
  void equalShapesEmitNoBroadcast() {
    Graph g = new Graph("b");
    Tensor x = g.parameter(DType.F32, 2, 3);
    String t = DslTesting.text(g, x.add(x).mul(2.0));
    assertFalse(t.contains("broadcast_in_dim"), t);
    assertTrue(t.contains("stablehlo.constant\"() <{value = dense<2.000000e+00> : tensor<2x3xf32>}>")
        || t.contains("dense<2.0"), t);
  }

  @Test
  void broadcastMapsTrailingDims() {
    Graph g = new Graph("b");
    Tensor x = g.parameter(DType.F32, 4, 1, 3);
    Tensor y = g.parameter(DType.F32, 5, 1);
    String t = DslTesting.text(g, x.add(y));
    assertTrue(t.contains("broadcast_dimensions = array<i64: 0, 1, 2>"), t);
    assertTrue(t.contains("broadcast_dimensions = array<i64: 1, 2>"), t);
    assertTrue(t.contains("-> tensor<4x5x3xf32>"), t);
  }

  @Test
  void broadcastToRejectsShrinking() {
    Graph g = new Graph("b");
    Tensor x = g.parameter(DType.F32, 3, 2);
    OpException e = assertThrows(OpException.class, () -> x.broadcastTo(2));
    assertTrue(e.getMessage().startsWith("broadcastTo: requires"), e.getMessage());
    assertEquals(Shape.of(4, 3, 2), x.broadcastTo(4, 3, 2).shape());
  }
}
