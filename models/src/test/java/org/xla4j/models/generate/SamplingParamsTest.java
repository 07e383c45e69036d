package org.xla4j.models.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;

/** SamplingParams' builder and validation, and the per-row tensors SamplerInputs makes of a batch. */
class SamplingParamsTest {
  @Test
  void builderDefaultsAndCopies() {
    SamplingParams p = SamplingParams.builder().build();
    assertEquals(new SamplingParams(1.0, 0, 1.0, 0, 64, List.of()), p);
    SamplingParams q = p.toBuilder().temperature(0.7).topK(40).topP(0.9).seed(42).maxNewTokens(8).stopIds(5, 6).build();
    assertEquals(new SamplingParams(0.7, 40, 0.9, 42, 8, List.of(5, 6)), q);
    assertTrue(q.isStop(6) && !q.isStop(7));
    assertTrue(SamplingParams.greedy(3).isGreedy());
    assertFalse(q.isGreedy());
    assertArrayEquals(new int[] {0, 42}, q.key());
    // the stop list is a copy
    List<Integer> stops = new ArrayList<>(List.of(1));
    SamplingParams r = SamplingParams.builder().stopIds(stops).build();
    stops.add(2);
    assertEquals(List.of(1), r.stopIds());
  }

  @Test
  void invalidSettingsNameTheSettingAndValue() {
    record Bad(SamplingParams.Builder b, String text) {}
    List<Bad> bad = List.of(
        new Bad(SamplingParams.builder().temperature(-0.5), "temperature must be finite and >= 0 (0 = greedy), got -0.5"),
        new Bad(SamplingParams.builder().temperature(Double.NaN), "temperature"),
        new Bad(SamplingParams.builder().topK(-1), "topK must be >= 0 (0 = off), got -1"),
        new Bad(SamplingParams.builder().topP(0), "topP must be in (0, 1] (1 = off), got 0.0"),
        new Bad(SamplingParams.builder().topP(1.5), "topP must be in (0, 1] (1 = off), got 1.5"),
        new Bad(SamplingParams.builder().maxNewTokens(0), "maxNewTokens must be >= 1, got 0"),
        new Bad(SamplingParams.builder().stopIds(3, -2), "stop ids must be >= 0, got -2"));
    for (Bad b : bad) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b.b()::build);
      assertTrue(e.getMessage().contains(b.text()), e.getMessage());
    }
  }

  @Test
  void samplerInputsFillFreeRowsAsGreedy() {
    SamplingParams a = SamplingParams.builder().temperature(0.5).topK(7).topP(0.8).seed((3L << 32) | 9).build();
    SamplerInputs in = SamplerInputs.of(List.of(a), 3);
    assertEquals(DType.F32, in.temperature().dtype());
    assertArrayEquals(new float[] {0.5f, 0f, 0f}, in.temperature().toFloatArray());
    assertArrayEquals(new int[] {7, 0, 0}, in.topK().toIntArray());
    assertArrayEquals(new float[] {0.8f, 1f, 1f}, in.topP().toFloatArray());
    assertEquals(DType.U32, in.key().dtype());
    assertArrayEquals(new long[] {3, 2}, in.key().shape().dims());
    assertArrayEquals(new int[] {3, 9, 0, 0, 0, 0}, in.key().toIntArray());
    HostTensor k = SamplerInputs.keys(new int[] {-1, 1}, 1);
    assertArrayEquals(new long[] {0xFFFF_FFFFL, 1}, k.toLongArray());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SamplerInputs.of(List.of(a, a), 1));
    assertTrue(e.getMessage().contains("2 requests do not fit a batch of 1"), e.getMessage());
  }
}
