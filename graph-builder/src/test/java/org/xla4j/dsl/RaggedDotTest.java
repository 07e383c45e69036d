package org.xla4j.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.xla4j.ir.OpException;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/** {@link Lax#raggedDot}: result type, the printed chlo.ragged_dot, and shape errors. */
class RaggedDotTest {
  @Test
  void printsChloRaggedDotWithItsDimensionNumbers() {
    Graph g = new Graph("rd");
    Tensor lhs = g.parameter(DType.BF16, 10, 6);
    Tensor rhs = g.parameter(DType.BF16, 3, 6, 4);
    Tensor sizes = g.parameter(DType.I32, 3);
    Tensor y = Lax.raggedDot(lhs, rhs, sizes, DType.F32);
    assertEquals(Shape.of(10, 4), y.shape());
    assertEquals(DType.F32, y.dtype());
    assertEquals(DType.BF16, Lax.raggedDot(lhs, rhs, sizes, null).dtype());
    String t = DslTesting.text(g, y);
    assertTrue(t.contains("\"chlo.ragged_dot\"(%arg0, %arg1, %arg2)"), t);
    assertTrue(t.contains("ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_batching_dimensions = [], "
        + "rhs_batching_dimensions = [], lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], "
        + "lhs_ragged_dimensions = [0], rhs_group_dimensions = [0]>"), t);
    assertTrue(t.contains("precision_config = [#chlo<precision DEFAULT>, #chlo<precision DEFAULT>]"), t);
    assertTrue(t.contains("(tensor<10x6xbf16>, tensor<3x6x4xbf16>, tensor<3xi32>) -> tensor<10x4xf32>"), t);
  }

  @Test
  void rejectsMismatchedShapes() {
    Graph g = new Graph("rd");
    Tensor lhs = g.parameter(DType.F32, 10, 6);
    OpException k = assertThrows(OpException.class,
        () -> Lax.raggedDot(lhs, g.parameter(DType.F32, 3, 5, 4), g.parameter(DType.I32, 3), null));
    assertTrue(k.getMessage().contains("chlo.ragged_dot") && k.getMessage().contains("equal k"), k.getMessage());
    OpException sizes = assertThrows(OpException.class,
        () -> Lax.raggedDot(lhs, g.parameter(DType.F32, 3, 6, 4), g.parameter(DType.I32, 2), null));
    assertTrue(sizes.getMessage().contains("group sizes"), sizes.getMessage());
  }
}
