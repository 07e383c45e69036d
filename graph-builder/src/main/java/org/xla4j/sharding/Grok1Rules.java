package org.xla4j.sharding;

/**
 * Grok-1's partition rules as data, in its order (xai-org/grok-1 {@code model.py}: TRANSFORMER_PARTITION_RULES,
 * then LM_PARTITION_RULES). Grok-1's own {@code LanguageModelConfig.partition_rules()} lists the LM rules
 * first; the two sets match disjoint paths (the LM rules need a {@code language_model} component, the
 * transformer rules a {@code multi_head_attention}, {@code decoder_layer_N}, {@code router} or {@code moe}
 * window), so either order gives the same specs.
 */
final class Grok1Rules {
  private Grok1Rules() {}

  private static final String LAYER = "decoder_layer_[0-9]+";
  private static final PartitionSpec DATA_MODEL = PartitionSpec.of("data", "model");
  private static final PartitionSpec MODEL_DATA = PartitionSpec.of("model", "data");
  private static final PartitionSpec NONE = PartitionSpec.of((Object) null);

  static final WindowRules TRANSFORMER = transformer();
  static final WindowRules LM = WindowRules.builder()
      .rule(PartitionSpec.of(null, java.util.List.of("data", "model")), "language_model", "positional_embeddings")
      .rule(PartitionSpec.of(null, java.util.List.of("data", "model")), "language_model", "in_out_embed", "embeddings")
      .rule(NONE, "language_model", "rms_norm")
      .build();
  /**
   * xla4j's addition for its int8 tree, where QuantizedWeight8bit's scales are a sibling leaf {@code .../scales}
   * ({@code [nb, out]}, experts {@code [E, nb, out]}) that Grok-1's rules (written for {@code w}) do not match:
   * the out axis is sharded as the matching {@code w}'s out axis, so each device holds the scales of its own
   * output columns; the nb (input block) axis is replicated, since 8 blocks rarely divide by a mesh axis and
   * the scales are tiny.
   */
  static final WindowRules INT8_SCALES = WindowRules.builder()
      .rule(PartitionSpec.of(null, "model"), "multi_head_attention", "(query|key|value)", "scales")
      .rule(PartitionSpec.of(null, "data"), "multi_head_attention", "linear", "scales")
      .rule(PartitionSpec.of(null, "model"), LAYER, "(linear|linear_v)", "scales")
      .rule(PartitionSpec.of(null, "data"), LAYER, "linear_1", "scales")
      .rule(PartitionSpec.of(null, null, "model"), "moe", "(linear|linear_v)", "scales")
      .rule(PartitionSpec.of(null, null, "data"), "moe", "linear_1", "scales")
      .build();
  static final WindowRules RULES = TRANSFORMER.then(LM).then(INT8_SCALES);

  private static WindowRules transformer() {
    WindowRules.Builder b = WindowRules.builder()
        // attention
        .rule(DATA_MODEL, "multi_head_attention", "(query|key|value)", "w")
        .rule(NONE, "multi_head_attention", "(query|key|value)", "b")
        .rule(MODEL_DATA, "multi_head_attention", "linear", "w")
        .rule(NONE, "multi_head_attention", "linear", "b")
        // dense mlp
        .rule(DATA_MODEL, LAYER, "linear", "w")
        .rule(NONE, LAYER, "linear", "b")
        .rule(DATA_MODEL, LAYER, "linear_v", "w")
        .rule(NONE, LAYER, "linear_v", "b")
        .rule(MODEL_DATA, LAYER, "linear_1", "w")
        .rule(NONE, LAYER, "linear_1", "b");
    norms(b, LAYER);
    b.rule(PartitionSpec.of("data"), "router", "w")
        // moe mlp: a leading expert axis
        .rule(PartitionSpec.of(null, "data", "model"), "moe", "linear", "w")
        .rule(NONE, "moe", "linear", "b")
        .rule(PartitionSpec.of(null, "data", "model"), "moe", "linear_v", "w")
        .rule(NONE, "moe", "linear_v", "b")
        .rule(PartitionSpec.of(null, "model", "data"), "moe", "linear_1", "w")
        .rule(NONE, "moe", "linear_1", "b");
    norms(b, "moe");
    return b.build();
  }

  /** layer_norm{,_1} offset and scale, then rms_norm{,_1,_2,_3} scale, under {@code scope}: all P(None). */
  private static void norms(WindowRules.Builder b, String scope) {
    for (String ln : new String[] {"layer_norm", "layer_norm_1"}) {
      b.rule(NONE, scope, ln, "offset").rule(NONE, scope, ln, "scale");
    }
    for (String rms : new String[] {"rms_norm", "rms_norm_1", "rms_norm_2", "rms_norm_3"}) b.rule(NONE, scope, rms, "scale");
  }
}
