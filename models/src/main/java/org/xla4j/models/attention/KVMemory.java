package org.xla4j.models.attention;

import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * One layer's key/value cache, as Grok-1's KVMemory: {@code k} and {@code v} of shape
 * {@code [batch, max_len, kv_heads, head_dim]} and {@code step}, the number of positions written:
 * an i32 scalar shared by the batch, or one per row [batch] for one-token decode steps (ragged prompts
 * are prefilled with a scalar step and a padding mask).
 * {@link Mechanism#DECODE} writes the new keys and values at {@code step} and returns the memory with
 * {@code step} advanced; a prefill is the same call with {@code step = 0} and the whole prompt.
 *
 * <p>As a tree its paths are {@code k}, {@code step}, {@code v} (flatten order), so a cache passed into and
 * returned from a program is named, not counted:
 * <pre>{@code
 * KVMemory mem = KVMemory.of(g.parameters(KVMemory.types(DType.BF16, batch, 8192, 8, 128, false)));
 * AttentionResult r = Attention.compute(decode, q, k, v, AttentionInputs.none().withMemory(mem));
 * Tree<Tensor> out = r.memory().tree();
 * }</pre>
 */
public record KVMemory(Tensor k, Tensor v, Tensor step) {
  static {
    org.xla4j.ir.CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  public KVMemory {
    java.util.Objects.requireNonNull(k, "k");
    java.util.Objects.requireNonNull(v, "v");
    java.util.Objects.requireNonNull(step, "step");
  }

  /** An empty cache (zeros, step 0). */
  public static KVMemory empty(Graph g, DType dtype, long batch, long maxLen, long kvHeads, long headDim) {
    return new KVMemory(g.zeros(dtype, batch, maxLen, kvHeads, headDim), g.zeros(dtype, batch, maxLen, kvHeads, headDim),
        g.scalar(0L, DType.I32));
  }

  /** The types of a cache: k, v {@code [batch, maxLen, kvHeads, headDim]}, step i32 (a scalar, or [batch]). */
  public static Tree<TensorType> types(DType dtype, long batch, long maxLen, long kvHeads, long headDim,
      boolean perRowStep) {
    TensorType kv = TensorType.of(dtype, batch, maxLen, kvHeads, headDim);
    return Tree.<TensorType>builder().put("k", kv).put("v", kv)
        .put("step", perRowStep ? TensorType.of(DType.I32, batch) : TensorType.scalar(DType.I32)).build();
  }

  /**
   * The cache whose leaves are {@code k}, {@code v} and {@code step}.
   *
   * @throws org.xla4j.tree.TreeException naming the first missing or extra path
   */
  public static KVMemory of(Tree<Tensor> tree) {
    Tree.<Integer>builder().put("k", 0).put("step", 0).put("v", 0).build().requireSameStructure(tree,
        "KVMemory.of (paths k, step, v vs the given tree)");
    return new KVMemory(tree.get("k"), tree.get("v"), tree.get("step"));
  }

  /** This cache as a tree: {@code k}, {@code step}, {@code v}. */
  public Tree<Tensor> tree() {
    return Tree.<Tensor>builder().put("k", k).put("v", v).put("step", step).build();
  }

  /** Cache length (max_len). */
  public long maxLength() { return k.dim(1); }
}
