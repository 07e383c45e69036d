package org.xla4j.models.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Collection;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.grok.WeightFormat;

/**
 * Reads the {@code config.json} of Grok-1's Hugging Face conversion into a {@link Grok1Config}. Keys:
 * vocab_size, hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim (default
 * hidden_size / heads), intermediate_size, num_experts, num_experts_per_tok, max_position_embeddings,
 * rope_theta, embedding_multiplier_scale, output_multiplier_scale, attn_output_multiplier, max_attn_value
 * (the soft-cap), rms_norm_eps; absent optional keys keep Grok-1's values. The weight format is INT8 when the
 * checkpoint has {@code .scales} tensors.
 *
 * <pre>{@code
 * Grok1Config c = Grok1HfConfig.read(dir.config(), dir.reader().names());
 * }</pre>
 */
public final class Grok1HfConfig {
  private Grok1HfConfig() {}

  /**
   * @throws IllegalArgumentException naming a missing or malformed key, or an intermediate_size Grok-1's
   *     {@code ffn_size} rule cannot give
   */
  public static Grok1Config read(JsonObject o, Collection<String> tensorNames) {
    int d = requireInt(o, "hidden_size");
    int heads = requireInt(o, "num_attention_heads");
    int ffn = requireInt(o, "intermediate_size");
    Grok1Config.Builder b = Grok1Config.builder()
        .vocabSize(requireInt(o, "vocab_size"))
        .embeddingSize(d)
        .numLayers(requireInt(o, "num_hidden_layers"))
        .heads(heads, intOr(o, "num_key_value_heads", heads))
        .keySize(intOr(o, "head_dim", d / Math.max(1, heads)))
        // Grok-1 derives ffn_size = int(widening·D)·2/3 (rounded up to 8): widening = 1.5·F/D gives F back
        .wideningFactor(1.5 * ffn / d)
        .experts(intOr(o, "num_experts", 8), intOr(o, "num_experts_per_tok", 2))
        .contextLength(intOr(o, "max_position_embeddings", 8192))
        .weightFormat(tensorNames.stream().anyMatch(n -> n.endsWith(".scales")) ? WeightFormat.INT8 : WeightFormat.BF16);
    if (has(o, "rope_theta")) b.ropeTheta(num(o, "rope_theta"));
    if (has(o, "embedding_multiplier_scale")) b.embeddingMultiplier(num(o, "embedding_multiplier_scale"));
    if (has(o, "output_multiplier_scale")) b.outputMultiplier(num(o, "output_multiplier_scale"));
    if (has(o, "attn_output_multiplier")) b.attnOutputMultiplier(num(o, "attn_output_multiplier"));
    if (has(o, "max_attn_value")) b.maxAttnValue(num(o, "max_attn_value"));
    if (has(o, "rms_norm_eps")) b.rmsEps(num(o, "rms_norm_eps"));
    Grok1Config c = b.build();
    if (c.ffnSize() != ffn) {
      throw new IllegalArgumentException("Grok-1 config.json: intermediate_size " + ffn + " is not an ffn_size Grok-1's "
          + "rule gives for hidden_size " + d + " (it gives " + c.ffnSize() + "; use a multiple of 8)");
    }
    return c;
  }

  private static boolean has(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e != null && !e.isJsonNull();
  }

  private static double num(JsonObject o, String key) {
    try {
      return o.get(key).getAsDouble();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("Grok-1 config.json: '" + key + "' must be a number, got " + o.get(key));
    }
  }

  private static int requireInt(JsonObject o, String key) {
    if (!has(o, key)) throw new IllegalArgumentException("Grok-1 config.json requires '" + key + "'");
    try {
      return o.get(key).getAsInt();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("Grok-1 config.json: '" + key + "' must be an integer, got " + o.get(key));
    }
  }

  private static int intOr(JsonObject o, String key, int dflt) { return has(o, key) ? requireInt(o, key) : dflt; }
}
