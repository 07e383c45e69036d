package org.xla4j.models.generate;

import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/**
 * Token choice inside the generation programs, so that only ids reach the host. One place to call, with
 * the per-row sampling state the programs carry (temperature, top-k, top-p, threefry key).
 *
 * <p>Greedy argmax for now; the per-row parameters are carried already, so that temperature, top-k and
 * top-p sampling drop in here without changing the programs' signatures.
 */
final class DeviceSampling {
  private DeviceSampling() {}

  /** @param ids i32 [B] @param nextKey u32 [B, 2] */
  record Sampled(Tensor ids, Tensor nextKey) {}

  /** Ids of {@code logits [B, V]} f32 with per-row {@code temperature [B]}, {@code topK [B]}, {@code topP [B]}, {@code key [B, 2]}. */
  static Sampled sample(Tensor logits, Tensor temperature, Tensor topK, Tensor topP, Tensor key) {
    return new Sampled(logits.argmax(-1).astype(DType.I32), key);
  }
}
