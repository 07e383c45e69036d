package org.xla4j.models.generate;

import java.util.List;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/**
 * The per-row host tensors {@link Sampler#sample} takes, from a batch of requests' {@link SamplingParams}.
 * Rows past the requests (free batch slots) are greedy with key 0. The keys are each request's initial
 * key; after a step, use the program's {@code nextKey} result instead.
 *
 * <pre>{@code
 * SamplerInputs in = SamplerInputs.of(List.of(p0, p1), 4);
 * List<HostTensor> args = List.of(logits, in.temperature(), in.topK(), in.topP(), in.key());
 * }</pre>
 *
 * @param temperature [B] f32
 * @param topK [B] i32
 * @param topP [B] f32
 * @param key [B, 2] ui32
 */
public record SamplerInputs(HostTensor temperature, HostTensor topK, HostTensor topP, HostTensor key) {

  /** Row i from {@code params.get(i)}; {@code batch} rows in all. */
  public static SamplerInputs of(List<SamplingParams> params, int batch) {
    if (params.size() > batch) {
      throw new IllegalArgumentException("SamplerInputs.of: " + params.size() + " requests do not fit a batch of " + batch);
    }
    float[] t = new float[batch];
    int[] k = new int[batch];
    float[] p = new float[batch];
    int[] key = new int[2 * batch];
    for (int i = 0; i < batch; i++) {
      SamplingParams sp = i < params.size() ? params.get(i) : null;
      t[i] = sp == null ? 0f : (float) sp.temperature();
      k[i] = sp == null ? 0 : sp.topK();
      p[i] = sp == null ? 1f : (float) sp.topP();
      int[] rowKey = sp == null ? new int[2] : sp.key();
      key[2 * i] = rowKey[0];
      key[2 * i + 1] = rowKey[1];
    }
    return new SamplerInputs(HostTensor.of(t, batch), HostTensor.ofInts(k, batch), HostTensor.of(p, batch),
        keys(key, batch));
  }

  /** Keys {@code [batch, 2]} ui32 from words {@code k[2 i], k[2 i + 1]} of row i. */
  public static HostTensor keys(int[] words, int batch) {
    if (words.length != 2 * batch) {
      throw new IllegalArgumentException("SamplerInputs.keys: requires " + 2 * batch + " words, got " + words.length);
    }
    byte[] le = new byte[4 * words.length];
    java.nio.ByteBuffer.wrap(le).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(words);
    return HostTensor.ofBytes(DType.U32, Shape.of(batch, 2), le);
  }
}
