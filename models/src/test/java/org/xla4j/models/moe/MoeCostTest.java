package org.xla4j.models.moe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The floor's two counts at issue 10's shapes, worked by hand. */
class MoeCostTest {
  @Test
  void grokLayerAtOneTokenIsBoundByTheTwoChosenExpertsBytes() {
    MoeCost c = MoeCost.bf16(1, 6144, 32768, 8, 2);
    assertEquals(2.0 * 1 * 2 * 3 * 6144 * 32768, c.usefulFlops());
    assertEquals(2, c.touchedExperts());
    // two experts × three 6144×32768 bf16 matrices + x and y (2 · 6144 · 2) + the f32 router (6144 · 8 · 4)
    double bytes = 2.0 * 3 * 6144 * 32768 * 2 + 2 * 6144 * 2 + 6144 * 8 * 4;
    assertEquals(bytes, c.minBytes());
    assertTrue(c.memoryBound(724e12, 4.4e12));
    assertEquals(bytes / 4.4e12, c.floorSeconds(724e12, 4.4e12), 1e-15);
    // 2.42 GB at the H200's ~4.4 TB/s copy: issue 10's "near 0.55 ms" for T = 1
    assertEquals(0.549e-3, c.floorSeconds(724e12, 4.4e12), 0.002e-3);
  }

  @Test
  void prefillTouchesEveryExpertAndIsBoundByFlops() {
    MoeCost c = MoeCost.bf16(8192, 2048, 5632, 8, 2);
    assertEquals(8, c.touchedExperts());
    assertEquals(2.0 * 8192 * 2 * 3 * 2048 * 5632, c.usefulFlops());
    assertFalse(c.memoryBound(724e12, 3.3e12));
    // JAX's dense 7.0 ms is 162 useful TFLOP/s (DESIGN.md): the same count
    assertEquals(162, c.usefulFlops() / 7.0e-3 / 1e12, 1);
  }

  @Test
  void int8HalvesTheWeightBytesAndAddsItsScales() {
    MoeCost c = MoeCost.int8(1, 6144, 32768, 8, 2);
    // per expert: 3 · D · F int8 + scales [1, F], [1, F], [8, D] in bf16
    assertEquals(3.0 * 6144 * 32768 + 2 * (2 * 32768 + 8 * 6144), c.expertBytes());
    assertThrows(IllegalArgumentException.class, () -> MoeCost.bf16(1, 6144, 32768, 8, 9));
  }
}
