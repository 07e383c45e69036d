package org.xla4j.models.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Collection;
import java.util.Locale;

/**
 * The model families a {@link ModelDir} recognizes, told apart by {@code config.json}'s {@code model_type}
 * (or {@code architectures}), else by the tensor names.
 */
public enum ModelType {
  /** Hugging Face {@code LlamaForCausalLM}: {@code model.layers.N.self_attn.q_proj.weight}, ... */
  LLAMA,
  /**
   * Grok-1 in its common Hugging Face conversion ({@code transformer.decoder_layer.N.moe.E.linear.weight}, ...), or
   * its original {@code ckpt-0} ({@link GrokCkpt0}).
   */
  GROK1;

  /**
   * The type of a checkpoint.
   *
   * @throws IllegalArgumentException when neither the config nor the names say (naming what was seen)
   */
  public static ModelType detect(JsonObject config, Collection<String> tensorNames) {
    String type = string(config, "model_type");
    JsonElement arch = config.get("architectures");
    String archs = arch != null && arch.isJsonArray() ? arch.toString().toLowerCase(Locale.ROOT) : "";
    if (type.equals("llama") || archs.contains("llamaforcausallm")) return LLAMA;
    if (type.startsWith("grok") || archs.contains("grok")) return GROK1;
    boolean grok = tensorNames.stream().anyMatch(n -> n.startsWith("transformer.decoder_layer."));
    boolean llama = tensorNames.stream().anyMatch(n -> n.startsWith("model.layers."));
    if (grok && !llama) return GROK1;
    if (llama && !grok) return LLAMA;
    throw new IllegalArgumentException("cannot tell the model type: config.json has model_type '" + type
        + "' and architectures " + (archs.isEmpty() ? "(none)" : archs) + ", and the tensor names "
        + (grok ? "mix Llama's 'model.layers.' and Grok-1's 'transformer.decoder_layer.'"
            : "have neither Llama's 'model.layers.N.' nor Grok-1's 'transformer.decoder_layer.N.'")
        + "; known types: llama, grok-1");
  }

  private static String string(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e != null && e.isJsonPrimitive() ? e.getAsString().toLowerCase(Locale.ROOT) : "";
  }
}
