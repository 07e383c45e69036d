package org.xla4j.models.attention;

import org.xla4j.dsl.Tensor;

/**
 * One attention call after validation and normalization, as every implementation sees it.
 *
 * <p>Shapes (BTNH): {@code q [B, Sq, H, D]}, {@code k [B, Sk, Hkv, D]}, {@code v [B, Sk, Hkv, Dv]} with
 * {@code H = Hkv * G}; query head {@code h} uses kv head {@code h / G} (grouped-query attention by
 * reshape, K/V are never repeated). {@code keyLength} is the length attended over: Sk, or the cache
 * length for DECODE.
 *
 * <p>{@code mask} (pred) and {@code bias} are null or rank 5, {@code [b, hkv, g, sq, sk]} with each of
 * b, sq, sk either 1 or full and (hkv, g) either (1, 1) or (Hkv, G). Segment ids are null or
 * {@code [B, Sq]} / {@code [B, keyLength]} i32. {@code dropoutKey} is non-null exactly when dropout is active.
 */
public record AttentionProblem(
    AttentionOptions options,
    Tensor q,
    Tensor k,
    Tensor v,
    long batch,
    long qLength,
    long keyLength,
    long heads,
    long kvHeads,
    long groups,
    long headDim,
    long valueDim,
    double scale,
    Tensor mask,
    Tensor bias,
    Tensor qSegmentIds,
    Tensor kvSegmentIds,
    Tensor dropoutKey,
    KVMemory memory) {

  /** True when any mask term (causal, mask, segments) applies. */
  public boolean masked() {
    return options.causal() || mask != null || qSegmentIds != null;
  }
}
