package org.xla4j.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.xla4j.ir.OpException;
import org.xla4j.types.DType;

/** DSL errors name the DSL op, what it got, and this file as the call site. */
class ErrorsTest {
  private static String fails(Executable e) {
    OpException ex = assertThrows(OpException.class, e);
    assertEquals("ErrorsTest.java", ex.location().file(), ex.getMessage());
    return ex.getMessage();
  }

  private static void startsWith(String m, String prefix) {
    assertTrue(m.startsWith(prefix), "expected '" + prefix + "' in: " + m);
  }

  @Test
  void axisOutOfRange() {
    Graph g = new Graph("e");
    Tensor x = g.parameter(DType.F32, 2, 3);
    startsWith(fails(() -> x.sum(2)), "sum: requires an axis in [-2, 2), got 2 for shape [2, 3]");
    startsWith(fails(() -> x.softmax(-3)), "softmax: requires an axis in [-2, 2), got -3");
    startsWith(fails(() -> x.argmax(5)), "argmax: requires an axis in [-2, 2), got 5");
    startsWith(fails(() -> x.sum(0, 0)), "sum: requires distinct axes, got [0, 0]");
    startsWith(fails(() -> x.dim(-3)), "dim: requires an axis in [-2, 2)");
  }

  @Test
  void shapeOps() {
    Graph g = new Graph("e");
    Tensor x = g.parameter(DType.F32, 2, 3);
    startsWith(fails(() -> x.reshape(4, -1)), "reshape: requires [2, 3] (6 elements) to fit [4, -1]");
    startsWith(fails(() -> x.reshape(-1, -1)), "reshape: requires at most one -1");
    startsWith(fails(() -> x.reshape(7)), "reshape: requires the same number of elements, got [2, 3] (6) and [7] (7)");
    startsWith(fails(() -> x.squeeze(0)), "squeeze: requires size-1 axes, got axis 0 of size 2");
    startsWith(fails(() -> x.transpose(0)), "transpose: requires a permutation of 2 axes for shape [2, 3], got [0]");
    startsWith(fails(() -> x.transpose(1, 1)), "transpose: requires a permutation, got [1, 1]");
    startsWith(fails(() -> x.slice(1, 2, 4)), "slice: requires 0 <= start <= end <= 3 on axis 1");
    startsWith(fails(() -> x.split(1, 1, 1)), "split: requires non-negative sizes summing to 3");
    startsWith(fails(() -> x.chunk(2, 1)), "chunk: requires a chunk count dividing 3");
    startsWith(fails(() -> Jnp.concat(0, x, g.parameter(DType.F32, 2, 4))),
        "concat: requires shapes that agree except on axis 0, got [[2, 3], [2, 4]]");
  }

  @Test
  void matmulAndIndexing() {
    Graph g = new Graph("e");
    Tensor a = g.parameter(DType.F32, 2, 3);
    Tensor b = g.parameter(DType.F32, 4, 5);
    startsWith(fails(() -> a.matmul(b)), "matmul: requires equal contracting dimensions, got [2, 3] and [4, 5] (3 vs 4)");
    startsWith(fails(() -> g.parameter(DType.F32, 2, 4, 3).matmul(g.parameter(DType.F32, 3, 3, 5))),
        "matmul: requires broadcast-compatible shapes, got [2] and [3]");
    startsWith(fails(() -> a.take(a, 0)), "take: requires integer indices, got tensor<2x3xf32>");
    startsWith(fails(() -> a.topK(4)), "topK: requires 0 <= k <= the last dimension");
    startsWith(fails(() -> a.scatterAdd(g.parameter(DType.I32, 3), g.parameter(DType.F32, 2, 3))),
        "scatterAdd: requires updates of shape [3, 3]");
  }

  @Test
  void rawShapeRulesStillNameTheOpAndThisFile() {
    Graph g = new Graph("e");
    Tensor x = g.parameter(DType.F32, 4);
    String m = fails(() -> x.dynamicSlice(List.of(g.scalar(0L, DType.I32)), 5));
    startsWith(m, "stablehlo.dynamic_slice: requires slice sizes within [4], got [5]");
  }

  @Test
  void constants() {
    Graph g = new Graph("e");
    startsWith(fails(() -> g.constant(new float[] {1, 2, 3}, 2, 2)), "constant: requires 4 values for shape [2, 2], got 3");
    startsWith(fails(() -> g.full(DType.I32, 0.5, 3)), "full: i32 requires integer values in [-2147483648, 2147483647], got 0.5");
    startsWith(fails(() -> g.parameter(DType.F32, 3).add(1).astype(DType.I8).add(1000)),
        "add: requires a Java scalar that fits i8, got 1000");
  }

  @Test
  void mixingGraphsIsRejected() {
    Graph g1 = new Graph("one");
    Graph g2 = new Graph("two");
    Tensor a = g1.parameter(DType.F32, 2);
    Tensor b = g2.parameter(DType.F32, 2);
    String m = fails(() -> a.add(b));
    startsWith(m, "add: requires tensors of one Graph, got tensor<2xf32> of Graph(one) and tensor<2xf32> of Graph(two)");
    startsWith(fails(() -> g1.build(b)), "func.return: requires tensors of Graph(one), got tensor<2xf32> of Graph(two)");
    startsWith(fails(() -> Jnp.einsum("i,i->", a, b)), "einsum: requires tensors of one Graph");
  }

  @Test
  void reduceBodyCannotCaptureOuterTensors() {
    Graph g = new Graph("e");
    Tensor x = g.parameter(DType.F32, 4);
    Tensor outer = g.parameter(DType.F32);
    String m = fails(() -> x.reduce(0.0, new int[] {0}, (p, q) -> p.add(q).add(outer)));
    startsWith(m, "stablehlo.add: requires operand 1 (tensor<f32>) to be defined in this function and visible here");
  }

  @Test
  void usingAGraphAfterBuildFails() {
    Graph g = new Graph("e");
    Tensor x = g.parameter(DType.F32, 4);
    g.build(x);
    startsWith(fails(() -> x.exp()), "stablehlo.exponential: requires an open function, but 'main' has already returned");
  }

  @Test
  void scopeShowsInErrors() {
    Graph g = new Graph("e");
    Tensor x = g.parameter(DType.F32, 2, 3);
    OpException e = assertThrows(OpException.class, () -> g.scope("layer3/attn", () -> x.add(g.parameter(DType.F32, 4))));
    assertTrue(e.getMessage().contains("(layer3/attn at ErrorsTest."), e.getMessage());
  }
}
