package org.xla4j.models.moe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rungs CAPACITY_CHECKED keeps of a ladder for a layer's size, against capacities worked out by hand from
 * {@code C = ceil(N·K/E · f)}: a rung stays when its C is above the last kept one's and under N.
 */
class MoeLadderTest {
  @Test
  void theDefaultLadderIsTheFactorAndTwiceIt() {
    assertEquals(List.of(1.25, 2.5), MoeOptions.defaults().ladder());
    assertEquals(List.of(2.0, 4.0), MoeOptions.builder().capacityFactor(2).build().ladder());
    assertEquals(List.of(1.0, 3.0), MoeOptions.builder().capacityFactor(2).capacityRungs(List.of(1.0, 3.0)).build()
        .ladder());
  }

  @Test
  void rungsAtOrPastTheTokensAndRepeatedCapacitiesAreLeftOut() {
    // the training step's MoE: 4096 tokens, 8 experts, top-2: 1024 copies per expert on average
    assertEquals(List.of(1.25, 2.5), MoeOptions.defaults().ladder(4096, 8, 2));            // C 1280, 2560
    assertEquals(List.of(1.25, 2.0, 3.0), ladder(List.of(1.25, 2.0, 3.0), 4096, 8, 2));   // C 1280, 2048, 3072
    assertEquals(List.of(2.0), ladder(List.of(2.0, 4.0), 4096, 8, 2));                    // 4.0: C 4096 = N
    // 8 tokens, 4 experts, top-2: 4 copies on average; 1.2 -> ceil(4.8) = 5 and 1.25 -> 5 again
    assertEquals(List.of(1.0, 1.2), ladder(List.of(1.0, 1.2, 1.25), 8, 4, 2));
    // the first rung stays whatever its capacity (it is the layer's capacity form)
    assertEquals(List.of(4.0), ladder(List.of(4.0, 8.0), 8, 4, 2));
  }

  private static List<Double> ladder(List<Double> factors, long tokens, long experts, int topK) {
    return MoeOptions.builder().capacityRungs(factors).build().ladder(tokens, experts, topK);
  }
}
