package org.xla4j.models.moe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.OpException;
import org.xla4j.models.quant.Weight;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/** Moe.apply's checks name the op, the offending tensor's type and this file; result types; capacity and tiles. */
class MoeValidationTest {
  private static String fails(Runnable r) {
    OpException e = assertThrows(OpException.class, r::run);
    assertTrue(e.getMessage().startsWith("moe") || e.getMessage().startsWith("weight"), e.getMessage());
    assertEquals("MoeValidationTest.java", e.location().file(), e.getMessage());
    return e.getMessage();
  }

  @Test
  void badShapesAndOptionsAreNamed() {
    Graph g = new Graph("moe");
    Tensor x = g.parameter(DType.BF16, 2, 5, 16);
    Tensor router = g.parameter(DType.F32, 16, 4);
    Weight w = Weight.of(g.parameter(DType.BF16, 4, 16, 24));
    Weight w1 = Weight.of(g.parameter(DType.BF16, 4, 24, 16));
    MoeOptions o = MoeOptions.builder().topK(2).build();
    MoeResult ok = Moe.apply(o, x, new MoeWeights(router, w, w, w1));
    assertEquals(x.type(), ok.output().type());
    assertEquals(Shape.of(10, 2), ok.experts().shape());
    assertEquals(DType.F32, ok.auxLoss().dtype());
    String m = fails(() -> Moe.apply(o, x, new MoeWeights(g.parameter(DType.F32, 8, 4), w, w, w1)));
    assertTrue(m.contains("router [D, E] with D = 16"), m);
    m = fails(() -> Moe.apply(o, x, new MoeWeights(router, w, w, w)));
    assertTrue(m.contains("linear_1") && m.contains("[4, 24, 16]"), m);
    m = fails(() -> Moe.apply(o.toBuilder().topK(5).build(), x, new MoeWeights(router, w, w, w1)));
    assertTrue(m.contains("topK"), m);
    m = fails(() -> Moe.apply(o.toBuilder().implementation(MoeImplementation.CAPACITY).capacityFactor(0).build(), x,
        new MoeWeights(router, w, w, w1)));
    assertTrue(m.contains("capacityFactor"), m);
    for (double bad : new double[] {0, -1.25, Double.NaN, Double.POSITIVE_INFINITY}) {
      m = fails(() -> Moe.apply(o.toBuilder().implementation(MoeImplementation.CAPACITY_CHECKED).capacityFactor(bad).build(),
          x, new MoeWeights(router, w, w, w1)));
      assertTrue(m.contains("CAPACITY_CHECKED requires a finite capacityFactor > 0, got " + bad), m);
    }
    m = fails(() -> Weight.int8(g.parameter(DType.I8, 24, 16), g.parameter(DType.BF16, 5, 16)));
    assertTrue(m.contains("nb dividing in"), m);
  }

  @Test
  void capacityAndTileSizes() {
    assertEquals(6, CapacityMoe.capacity(48, 4, 0.5));
    assertEquals(15, CapacityMoe.capacity(48, 4, 1.25));
    assertEquals(1, CapacityMoe.capacity(1, 8, 0.01));
    assertEquals(8, DroplessMoe.tile(0, 32, 4));
    assertEquals(128, DroplessMoe.tile(0, 16384, 8));
    assertEquals(3, DroplessMoe.tile(3, 16384, 8));
  }
}
