package org.xla4j.models.attention;

/**
 * The optional tensors of an attention call. All may be null.
 *
 * <ul>
 *   <li>{@code mask}: a (B, Sk) padding mask, or any tensor broadcastable to [B, H, Sq, Sk] such as the
 *       [B, 1, 1, Sk] form. Its dtype says how it is read:
 *       <ul>
 *         <li>bool: true where a query may attend a key;</li>
 *         <li>integer: non-zero where a query may attend a key (Hugging Face's 1/0 attention_mask);</li>
 *         <li>float: an additive mask, added to the logits like {@code bias}: 0 keeps, a large negative
 *             (-1e9, -inf) hides (EasyDeL's form). A float 1/0 mask is NOT a keep/hide mask: pass
 *             {@code m.ne(0)} (bool) for that. An additive mask hides by weight, so a row hidden entirely
 *             averages its keys instead of giving zeros as a bool mask does.</li>
 *       </ul></li>
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
