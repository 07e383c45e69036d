package org.xla4j.models.generate;

import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The shape of a model's key/value cache for generation: per layer {@code layers/N/k} and
 * {@code layers/N/v} of {@code [batch, maxLength, kvHeads, headDim]} (keys after RoPE), plus per row
 * {@code step} i32 [batch] (positions written: Grok-1's per-row step) and {@code valid} pred
 * [batch, maxLength] (a slot is attended only if it has been written and its token is not pad).
 *
 * <pre>{@code
 * KvCache kv = new KvCache(2, 4, 256, 2, 16, DType.BF16);
 * Tree<Tensor> cache = g.parameters(kv.types());     // layers/0/k, layers/0/v, ..., step, valid
 * }</pre>
 */
public record KvCache(int layers, long batch, long maxLength, long kvHeads, long headDim, DType dtype) {
  public KvCache {
    if (layers < 1 || batch < 1 || maxLength < 1 || kvHeads < 1 || headDim < 1) {
      throw new IllegalArgumentException("KvCache requires positive sizes, got layers " + layers + ", batch " + batch
          + ", maxLength " + maxLength + ", kvHeads " + kvHeads + ", headDim " + headDim);
    }
    java.util.Objects.requireNonNull(dtype, "dtype");
  }

  /** The cache's leaves and types. */
  public Tree<TensorType> types() {
    Tree.Builder<TensorType> b = Tree.builder();
    TensorType kv = TensorType.of(dtype, batch, maxLength, kvHeads, headDim);
    for (int l = 0; l < layers; l++) {
      b.put(layer(l) + "/k", kv);
      b.put(layer(l) + "/v", kv);
    }
    b.put("step", TensorType.of(DType.I32, batch));
    b.put("valid", TensorType.of(DType.PRED, batch, maxLength));
    return b.build();
  }

  /** Bytes of the whole cache. */
  public long bytes() {
    return types().leaves().stream().mapToLong(TensorType::byteSize).sum();
  }

  /** The subtree path of layer {@code l}. */
  public static String layer(int l) { return "layers/" + l; }
}
