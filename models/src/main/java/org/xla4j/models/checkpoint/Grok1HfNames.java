package org.xla4j.models.checkpoint;

import org.xla4j.checkpoint.CheckpointMap;
import org.xla4j.checkpoint.CheckpointRule;

/**
 * Grok-1's common Hugging Face conversion, tensor names to Grok-1's own parameter paths (those of
 * xai-org/grok-1, so its partition rules apply unchanged), as data. Torch's {@code [out, in]} matrices
 * become {@code [in, out]}; per-expert tensors are stacked into {@code [E, in, out]}:
 * <table>
 *   <caption>names and paths</caption>
 *   <tr><td>{@code transformer.decoder_layer.N.multi_head_attention.{query,key,value,linear}.weight}</td>
 *       <td>{@code transformer/decoder_layer_N/multi_head_attention/{...}/w}</td></tr>
 *   <tr><td>{@code transformer.decoder_layer.N.router.weight} [E, D]</td><td>{@code transformer/decoder_layer_N/router/w} [D, E]</td></tr>
 *   <tr><td>{@code transformer.decoder_layer.N.moe.E.{linear,linear_v,linear_1}.weight}</td>
 *       <td>{@code transformer/decoder_layer_N/moe/{...}/w} [E, in, out]</td></tr>
 *   <tr><td>{@code transformer.decoder_layer.N.rms_norm{,_1,_2,_3}.weight}</td><td>{@code .../rms_norm{,_1,_2,_3}/scale}</td></tr>
 *   <tr><td>{@code transformer.in_out_embed.weight}</td><td>{@code language_model/in_out_embed/embeddings}</td></tr>
 *   <tr><td>{@code transformer.rms_norm.weight}</td><td>{@code language_model/rms_norm/scale}</td></tr>
 * </table>
 * Int8 weights (Grok-1's QuantizedWeight8bit) are {@code NAME.weight} I8 {@code [out, in]} plus
 * {@code NAME.scales} BF16 {@code [nb, out]}: the weight is transposed like a float one into {@code .../w}
 * ({@code [in, out]}), the scales land unchanged in {@code .../scales} (stacked {@code [E, nb, out]} for
 * experts), so {@code W[i, o] = w[i, o] · scales[i / (in / nb), o]} on the tree as in the checkpoint.
 *
 * <pre>{@code
 * Tree<CheckpointTensor> p = Grok1HfNames.map().apply(reader, grokConfig.parameterTypes());
 * }</pre>
 */
public final class Grok1HfNames {
  private Grok1HfNames() {}

  private static final String LAYER = "transformer\\.decoder_layer\\.(\\d+)\\.";
  private static final String TO = "transformer/decoder_layer_$1/";
  private static final CheckpointMap MAP = CheckpointMap.of(
      CheckpointRule.of(LAYER + "multi_head_attention\\.(query|key|value|linear)\\.weight",
          TO + "multi_head_attention/$2/w").transposed(),
      CheckpointRule.of(LAYER + "multi_head_attention\\.(query|key|value|linear)\\.scales",
          TO + "multi_head_attention/$2/scales"),
      CheckpointRule.of(LAYER + "router\\.weight", TO + "router/w").transposed(),
      CheckpointRule.of(LAYER + "moe\\.(?<stack>\\d+)\\.(linear|linear_v|linear_1)\\.weight", TO + "moe/$3/w")
          .transposed().stacked(),
      CheckpointRule.of(LAYER + "moe\\.(?<stack>\\d+)\\.(linear|linear_v|linear_1)\\.scales", TO + "moe/$3/scales")
          .stacked(),
      CheckpointRule.of(LAYER + "(rms_norm(?:_[123])?)\\.weight", TO + "$2/scale"),
      CheckpointRule.of("transformer\\.in_out_embed\\.weight", "language_model/in_out_embed/embeddings"),
      CheckpointRule.of("transformer\\.rms_norm\\.weight", "language_model/rms_norm/scale"));

  /** The name map (float and int8 layouts alike). */
  public static CheckpointMap map() { return MAP; }

  /**
   * The checkpoint name of a Grok-1 parameter path (the inverse of {@link #map}); expert stacks are written
   * {@code transformer.decoder_layer.0.moe.{0..7}.linear.weight} with E from the leaf's leading axis.
   *
   * @throws IllegalArgumentException for a path that is not one of Grok1Config's
   */
  public static String nameOf(String path, org.xla4j.types.TensorType type) {
    switch (path) {
      case "language_model/in_out_embed/embeddings" -> { return "transformer.in_out_embed.weight"; }
      case "language_model/rms_norm/scale" -> { return "transformer.rms_norm.weight"; }
      default -> { }
    }
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("transformer/decoder_layer_(\\d+)/(.+)/(w|scale|scales)").matcher(path);
    if (!m.matches()) throw new IllegalArgumentException("'" + path + "' is not a Grok-1 parameter path");
    String module = m.group(2).replace('/', '.');
    if (module.startsWith("moe.")) module = "moe.{0.." + (type.shape().dim(0) - 1) + "}." + module.substring(4);
    String leaf = m.group(3).equals("scales") ? "scales" : "weight";
    return "transformer.decoder_layer." + m.group(1) + "." + module + "." + leaf;
  }
}
