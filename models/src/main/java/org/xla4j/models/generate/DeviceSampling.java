package org.xla4j.models.generate;

import org.xla4j.dsl.Tensor;

/**
 * Token choice inside the generation programs, so that only ids reach the host: {@link Sampler} (greedy,
 * temperature, top-k, Grok-1's top-p; per-row Threefry keys) on the per-row sampling state the programs
 * carry.
 */
final class DeviceSampling {
  private DeviceSampling() {}

  /** @param ids i32 [B] @param nextKey u32 [B, 2] */
  record Sampled(Tensor ids, Tensor nextKey) {}

  /** Ids of {@code logits [B, V]} f32 with per-row {@code temperature [B]}, {@code topK [B]}, {@code topP [B]}, {@code key [B, 2]}. */
  static Sampled sample(Tensor logits, Tensor temperature, Tensor topK, Tensor topP, Tensor key) {
    return sample(logits, temperature, topK, topP, key, Sampler.Mode.DEVICE);
  }

  /** As {@link #sample(Tensor, Tensor, Tensor, Tensor, Tensor)}, doing only {@code mode}'s work. */
  static Sampled sample(Tensor logits, Tensor temperature, Tensor topK, Tensor topP, Tensor key, Sampler.Mode mode) {
    Sampler.Sampled s = Sampler.sample(logits, temperature, topK, topP, key, mode);
    return new Sampled(s.ids(), s.nextKey());
  }
}
