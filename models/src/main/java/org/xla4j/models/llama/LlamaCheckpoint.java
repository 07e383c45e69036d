package org.xla4j.models.llama;

import org.xla4j.checkpoint.CheckpointMap;
import org.xla4j.checkpoint.CheckpointRule;

/**
 * Hugging Face {@code LlamaForCausalLM} tensor names to {@link LlamaConfig#parameterTypes()} paths, as data:
 * torch's {@code [out, in]} Linear weights are transposed to {@code [in, out]}; {@code rotary_emb.inv_freq}
 * buffers are ignored; qk_norm's scales are {@code self_attn.{q,k}_norm.weight}; with tied embeddings a stored {@code lm_head.weight} (some exports keep it) is
 * ignored too.
 *
 * <pre>{@code
 * Tree<CheckpointTensor> p = LlamaCheckpoint.map(config).apply(reader, config.parameterTypes());
 * }</pre>
 */
public final class LlamaCheckpoint {
  private LlamaCheckpoint() {}

  private static final String LAYER = "model\\.layers\\.(\\d+)\\.";

  /** The name map for a config (tied or not). */
  public static CheckpointMap map(LlamaConfig c) {
    CheckpointRule head = c.tieWordEmbeddings() ? CheckpointRule.ignore("lm_head\\.weight")
        : CheckpointRule.of("lm_head\\.weight", "lm_head/w").transposed();
    return CheckpointMap.of(
        CheckpointRule.of("model\\.embed_tokens\\.weight", "model/embed_tokens/embeddings"),
        CheckpointRule.of(LAYER + "self_attn\\.([qkvo]_proj)\\.weight", "model/layers/$1/self_attn/$2/w").transposed(),
        CheckpointRule.of(LAYER + "self_attn\\.([qkvo]_proj)\\.bias", "model/layers/$1/self_attn/$2/b"),
        CheckpointRule.of(LAYER + "mlp\\.((?:gate|up|down)_proj)\\.weight", "model/layers/$1/mlp/$2/w").transposed(),
        CheckpointRule.of(LAYER + "mlp\\.((?:gate|up|down)_proj)\\.bias", "model/layers/$1/mlp/$2/b"),
        CheckpointRule.of(LAYER + "(input_layernorm|post_attention_layernorm)\\.weight", "model/layers/$1/$2/scale"),
        CheckpointRule.of(LAYER + "self_attn\\.([qk]_norm)\\.weight", "model/layers/$1/self_attn/$2/scale"),
        CheckpointRule.of("model\\.norm\\.weight", "model/norm/scale"),
        head,
        CheckpointRule.ignore(".*\\.rotary_emb\\.inv_freq"));
  }

  /**
   * The Hugging Face name of a parameter path (the inverse of {@link #map}): {@code model/layers/0/self_attn/q_proj/w}
   * is {@code model.layers.0.self_attn.q_proj.weight}.
   *
   * @throws IllegalArgumentException for a path that is not one of {@link LlamaConfig#parameterTypes()}'s
   */
  public static String nameOf(String path) {
    if (path.equals("model/embed_tokens/embeddings")) return "model.embed_tokens.weight";
    int slash = path.lastIndexOf('/');
    String leaf = slash < 0 ? "" : path.substring(slash + 1);
    String module = slash < 0 ? path : path.substring(0, slash).replace('/', '.');
    return switch (leaf) {
      case "w", "scale" -> module + ".weight";
      case "b" -> module + ".bias";
      default -> throw new IllegalArgumentException("'" + path + "' is not a Llama parameter path");
    };
  }
}
