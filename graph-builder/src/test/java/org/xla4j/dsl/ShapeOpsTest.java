package org.xla4j.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

class ShapeOpsTest {
  private final Graph g = new Graph("s");
  private final Tensor x = g.parameter(DType.F32, 2, 3, 4);

  @Test
  void reshapeInfersOneDimension() {
    assertEquals(Shape.of(6, 4), x.reshape(-1, 4).shape());
    assertEquals(Shape.of(2, 12), x.reshape(2, -1).shape());
    assertSame(x, x.reshape(2, 3, 4), "no-op reshape emits nothing");
  }

  @Test
  void transposeSwapExpandSqueeze() {
    assertEquals(Shape.of(4, 3, 2), x.transpose().shape());
    assertEquals(Shape.of(2, 4, 3), x.transpose(0, -1, 1).shape());
    assertEquals(Shape.of(2, 4, 3), x.swapaxes(-1, -2).shape());
    assertSame(x, x.transpose(0, 1, 2));
    assertEquals(Shape.of(2, 3, 4, 1), x.expandDims(-1).shape());
    assertEquals(Shape.of(1, 2, 3, 4), x.expandDims(0).shape());
    assertEquals(Shape.of(2, 3, 4), x.expandDims(1).squeeze(1).shape());
    assertEquals(Shape.of(3), g.parameter(DType.F32, 1, 3, 1).squeeze().shape());
    assertEquals(4, x.dim(-1));
    assertEquals(24, x.size());
  }

  @Test
  void slices() {
    assertEquals(Shape.of(2, 2, 4), x.slice(1, 1, 3).shape());
    assertEquals(Shape.of(2, 3, 1), x.slice(-1, -1, 4).shape());
    assertEquals(Shape.of(1, 2, 2), x.slice(new long[] {0, 0, 0}, new long[] {1, 3, 4}, new long[] {1, 2, 3}).shape());
    Tensor i = g.scalar(1L, DType.I32);
    assertEquals(Shape.of(2, 3, 2), x.dynamicSlice(-1, i, 2).shape());
    assertEquals(Shape.of(1, 3, 4), x.dynamicSlice(List.of(i, i, i), 1, 3, 4).shape());
    assertEquals(x.shape(), x.dynamicUpdateSlice(g.zeros(DType.BF16, 1, 3, 4), i, g.scalar(0L, DType.I32),
        g.scalar(0L, DType.I32)).shape());
    List<Tensor> parts = x.split(-1, 1, 3);
    assertEquals(Shape.of(2, 3, 1), parts.get(0).shape());
    assertEquals(Shape.of(2, 3, 3), parts.get(1).shape());
    assertEquals(3, x.chunk(3, 1).size());
  }

  @Test
  void padReverseConcatStack() {
    assertEquals(Shape.of(2, 5, 4), x.pad(new long[] {0, 1, 0}, new long[] {0, 1, 0}, 0).shape());
    assertEquals(Shape.of(2, 5, 4), x.pad(new long[3], new long[3], new long[] {0, 1, 0}, -1).shape());
    assertEquals(x.shape(), x.reverse(0, -1).shape());
    Tensor y = g.parameter(DType.BF16, 2, 3, 1);
    Tensor c = Jnp.concat(-1, x, y);
    assertEquals(new TensorType(DType.F32, Shape.of(2, 3, 5)), c.type());
    assertEquals(Shape.of(2, 2, 3, 4), Jnp.stack(1, x, x).shape());
    assertEquals(Shape.of(2, 3, 4, 2), Jnp.stack(-1, x, x).shape());
  }

  @Test
  void typesAndBitcast() {
    assertEquals(DType.BF16, x.astype(DType.BF16).dtype());
    assertSame(x, x.astype(DType.F32));
    assertEquals(new TensorType(DType.I32, x.shape()), x.bitcast(DType.I32).type());
    assertEquals(new TensorType(DType.U8, Shape.of(2, 3, 4, 4)), x.bitcast(DType.U8).type());
    assertEquals(new TensorType(DType.F32, Shape.of(2, 3)), g.parameter(DType.BF16, 2, 3, 2).bitcast(DType.F32).type());
    assertEquals(x.type(), x.clamp(-1, 1).type());
    assertEquals(x.type(), x.clamp(g.zeros(DType.F32, 4), g.ones(DType.BF16)).type());
  }

  @Test
  void constantsAndArange() {
    assertEquals(new TensorType(DType.F32, Shape.of(2, 2)), g.constant(new float[] {1, 2, 3, 4}, 2, 2).type());
    assertEquals(new TensorType(DType.I64, Shape.of(3)), g.constant(new long[] {1, 2, Long.MAX_VALUE}, 3).type());
    assertEquals(new TensorType(DType.I32, Shape.of(5)), g.arange(5, DType.I32).type());
    assertEquals(Shape.of(4), g.arange(1, 3, 0.5, DType.F32).shape());
    assertEquals(Shape.of(3), g.arange(10, 0, -4, DType.I32).shape());
    String t = DslTesting.text(g, g.full(DType.BF16, 0.5, 3), g.zeros(DType.I32, 2), g.scalar(-1L, DType.U64));
    assertTrue(t.contains("tensor<3xbf16>"), t);
    assertFalse(t.contains("broadcast_in_dim"), t);
  }

  @Test
  void whereBroadcastsAllThree() {
    Tensor cond = g.parameter(DType.PRED, 3, 1);
    Tensor r = Jnp.where(cond, x, 0L);
    assertEquals(x.type(), r.type());
    assertEquals(Shape.of(2, 3, 4), Jnp.where(g.parameter(DType.I32, 4), x, g.parameter(DType.BF16)).shape());
    assertEquals(DType.F32, Jnp.where(cond, g.parameter(DType.I32, 3), 0.5).dtype());
  }
}
