package org.xla4j.models.attention;

import java.util.List;
import org.xla4j.dsl.Tensor;
import org.xla4j.tree.Tree;
import org.xla4j.tree.TreeException;

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
 *
 * <p>As a tree (program arguments named by path) the leaves present are among {@link #PATHS}: {@code mask},
 * {@code bias}, {@code segment_ids/q}, {@code segment_ids/kv}, {@code dropout_key}, {@code memory/k},
 * {@code memory/step}, {@code memory/v}.
 * <pre>{@code
 * Tree<Tensor> p = g.parameters(Tree.of(Map.of("mask", TensorType.of(DType.PRED, b, sk),
 *     "segment_ids/q", TensorType.of(DType.I32, b, sq))));
 * Tensor out = Attention.apply(options, q, k, v, AttentionInputs.of(p));
 * }</pre>
 */
public record AttentionInputs(
    Tensor mask,
    Tensor bias,
    Tensor qSegmentIds,
    Tensor kvSegmentIds,
    Tensor dropoutKey,
    KVMemory memory) {

  /** Every path an inputs tree may have. */
  public static final List<String> PATHS = List.of("bias", "dropout_key", "mask", "memory/k", "memory/step",
      "memory/v", "segment_ids/kv", "segment_ids/q");

  public static final AttentionInputs NONE = new AttentionInputs(null, null, null, null, null, null);

  public static AttentionInputs none() { return NONE; }

  /**
   * The inputs named by a tree's paths (any subset of {@link #PATHS}; {@code memory/*} all or none).
   *
   * @throws TreeException naming a path that is not one of {@link #PATHS}, or an incomplete memory
   */
  public static AttentionInputs of(Tree<Tensor> tree) {
    for (String p : tree.paths()) {
      if (!PATHS.contains(p)) {
        throw new TreeException("AttentionInputs.of: unknown path '" + p + "'; the paths are " + PATHS);
      }
    }
    KVMemory mem = tree.hasNode("memory") ? KVMemory.of(tree.subtree("memory")) : null;
    return new AttentionInputs(tree.find("mask").orElse(null), tree.find("bias").orElse(null),
        tree.find("segment_ids/q").orElse(null), tree.find("segment_ids/kv").orElse(null),
        tree.find("dropout_key").orElse(null), mem);
  }

  /** The non-null inputs as a tree with the paths of {@link #of}. */
  public Tree<Tensor> tree() {
    Tree.Builder<Tensor> b = Tree.builder();
    if (mask != null) b.put("mask", mask);
    if (bias != null) b.put("bias", bias);
    if (qSegmentIds != null) b.put("segment_ids/q", qSegmentIds);
    if (kvSegmentIds != null) b.put("segment_ids/kv", kvSegmentIds);
    if (dropoutKey != null) b.put("dropout_key", dropoutKey);
    if (memory != null) b.putAll("memory", memory.tree());
    return b.build();
  }

  public AttentionInputs withMask(Tensor m) { return new AttentionInputs(m, bias, qSegmentIds, kvSegmentIds, dropoutKey, memory); }

  public AttentionInputs withBias(Tensor b) { return new AttentionInputs(mask, b, qSegmentIds, kvSegmentIds, dropoutKey, memory); }

  /** Segment ids for both sides (self-attention). */
  public AttentionInputs withSegmentIds(Tensor ids) { return new AttentionInputs(mask, bias, ids, ids, dropoutKey, memory); }

  public AttentionInputs withSegmentIds(Tensor q, Tensor kv) { return new AttentionInputs(mask, bias, q, kv, dropoutKey, memory); }

  public AttentionInputs withDropoutKey(Tensor key) { return new AttentionInputs(mask, bias, qSegmentIds, kvSegmentIds, key, memory); }

  public AttentionInputs withMemory(KVMemory m) { return new AttentionInputs(mask, bias, qSegmentIds, kvSegmentIds, dropoutKey, m); }
}
