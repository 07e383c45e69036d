package org.xla4j.models.attention;

/**
 * The optional tensors of an attention call. All may be null.
 *
 * <ul>
 *   <li>{@code mask}: true (or non-zero) where a query may attend a key. A (B, Sk) padding mask, or any
 *       tensor broadcastable to [B, H, Sq, Sk] such as the [B, 1, 1, Sk] form.</li>
 *   <li>{@code bias}: added to the logits (after scale and soft-cap), broadcastable to [B, H, Sq, Sk].</li>
 *   <li>{@code qSegmentIds} (B, Sq) and {@code kvSegmentIds} (B, Sk): integer segment ids; a query attends
 *       only keys of its own segment (packed sequences). kvSegmentIds defaults to qSegmentIds.</li>
 *   <li>{@code dropoutKey}: the ui64[2] RNG state ({@code Rng.key}) for dropout.</li>
 *   <li>{@code memory}: the KV cache of {@link Mechanism#DECODE}.</li>
 * </ul>
 */
public record AttentionInputs(
    org.xla4j.dsl.Tensor mask,
    org.xla4j.dsl.Tensor bias,
    org.xla4j.dsl.Tensor qSegmentIds,
    org.xla4j.dsl.Tensor kvSegmentIds,
    org.xla4j.dsl.Tensor dropoutKey,
    KVMemory memory) {

  public static final AttentionInputs NONE = new AttentionInputs(null, null, null, null, null, null);

  public static AttentionInputs none() { return NONE; }

  public AttentionInputs withMask(org.xla4j.dsl.Tensor m) { return new AttentionInputs(m, bias, qSegmentIds, kvSegmentIds, dropoutKey, memory); }

  public AttentionInputs withBias(org.xla4j.dsl.Tensor b) { return new AttentionInputs(mask, b, qSegmentIds, kvSegmentIds, dropoutKey, memory); }

  /** Segment ids for both sides (self-attention). */
  public AttentionInputs withSegmentIds(org.xla4j.dsl.Tensor ids) { return new AttentionInputs(mask, bias, ids, ids, dropoutKey, memory); }

  public AttentionInputs withSegmentIds(org.xla4j.dsl.Tensor q, org.xla4j.dsl.Tensor kv) { return new AttentionInputs(mask, bias, q, kv, dropoutKey, memory); }

  public AttentionInputs withDropoutKey(org.xla4j.dsl.Tensor key) { return new AttentionInputs(mask, bias, qSegmentIds, kvSegmentIds, key, memory); }

  public AttentionInputs withMemory(KVMemory m) { return new AttentionInputs(mask, bias, qSegmentIds, kvSegmentIds, dropoutKey, m); }
}
