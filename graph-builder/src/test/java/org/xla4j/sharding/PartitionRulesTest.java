package org.xla4j.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Partition rules: Grok-1's window semantics (each expectation below was checked against Python's
 * {@code re.compile(r + "$").match}), EasyDeL's search semantics, and the Grok-1 preset on the full 314B
 * parameter tree, whose expected specs are written out per parameter kind from the rule table, not derived
 * from the rules.
 */
class PartitionRulesTest {
  static final PartitionSpec NONE = PartitionSpec.of((Object) null);
  static final Mesh MESH = Mesh.builder("mesh").axis("data", 2).axis("model", 4).build();

  // ---------------------------------------------------------------- Grok-1's window form

  @Test
  void windowMatchesContiguousComponentsAnchoredAtBothEnds() {
    WindowRules r = PartitionRules.windows().rule(PartitionSpec.of("x"), "a", "(b|c)", "w").build();
    assertEquals(Optional.of(PartitionSpec.of("x")), r.match("top/a/b/w"));
    assertEquals(Optional.of(PartitionSpec.of("x")), r.match("a/c/w/more"));
    assertEquals(Optional.empty(), r.match("a/x/b/w"), "the window must be contiguous");
    assertEquals(Optional.empty(), r.match("a/bb/w"), "'$' is appended: (b|c) does not match 'bb'");
    assertEquals(Optional.empty(), r.match("za/b/w"), "re.match anchors at the start: 'a' does not match 'za'");
    assertEquals(Optional.empty(), r.match("a/b"), "shorter than the rule");
    // re.match("a|b$", ...) is "a" at the start, or exactly "b"
    WindowRules alt = PartitionRules.windows().rule(PartitionSpec.of("x"), "a|b").build();
    assertTrue(alt.match("axx").isPresent());
    assertTrue(alt.match("b").isPresent());
    assertTrue(alt.match("xxb").isEmpty());
    // '$' may match before a final newline, as in Python
    assertTrue(PartitionRules.windows().rule(NONE, "w").build().match("w\n").isPresent());
  }

  @Test
  void firstRuleWinsLayerStackPrependsNoneAndUnmatchedIsReplicated() {
    WindowRules r = PartitionRules.windows()
        .rule(PartitionSpec.of("data", "model"), "mlp", "w")
        .rule(PartitionSpec.of("model"), "w")
        .build();
    assertEquals(PartitionSpec.of("data", "model"), r.spec("mlp/w", TensorType.of(DType.F32, 4, 4)));
    assertEquals(PartitionSpec.of("model"), r.spec("other/w", TensorType.of(DType.F32, 4)));
    assertEquals(PartitionSpec.of(null, "data", "model"), r.match("layer_stack/mlp/w").orElseThrow());
    assertEquals(PartitionSpec.of(null, "data", "model"), r.match("t/layer_stack/mlp/w").orElseThrow());
    assertEquals(PartitionSpec.of("data", "model"), r.match("layer_stack_2/mlp/w").orElseThrow(),
        "only a component equal to layer_stack counts");
    assertEquals(PartitionSpec.of(), r.spec("mlp/b", TensorType.of(DType.F32, 4)), "no match: replicated");
    assertEquals(Optional.empty(), r.match("layer_stack/b"), "no match stays unmatched under layer_stack");
  }

  @Test
  void badRulesAreRefused() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PartitionRules.windows().rule(NONE).build())
        .getMessage().contains("at least one regex"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> PartitionRules.windows().rule(NONE, "(query").build()).getMessage().contains("'(query'"));
  }

  // ---------------------------------------------------------------- EasyDeL's search form

  @Test
  void regexRulesSearchTheWholePathFirstMatchWins() {
    RegexRules r = PartitionRules.regex()
        .rule("self_attn/(q|k|v)_proj/kernel", PartitionSpec.of("fsdp", "tp"))
        .rule("proj/kernel", PartitionSpec.of("tp", "fsdp"))
        .rule("embed_tokens/embedding$", PartitionSpec.of("tp", null))
        .build();
    TensorType m = TensorType.of(DType.BF16, 64, 64);
    assertEquals(PartitionSpec.of("fsdp", "tp"), r.spec("model/layers/0/self_attn/k_proj/kernel", m));
    assertEquals(PartitionSpec.of("tp", "fsdp"), r.spec("model/layers/0/self_attn/o_proj/kernel", m));
    assertEquals(PartitionSpec.of("tp", null), r.spec("model/embed_tokens/embedding", m));
    assertEquals(PartitionSpec.of(), r.spec("model/norm/scale", TensorType.of(DType.F32, 1)), "one element: replicated");
    assertEquals(PartitionSpec.of(), r.spec("step", TensorType.scalar(DType.I32)), "scalar: replicated");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.spec("model/norm/scale", m));
    assertTrue(e.getMessage().contains("no rule matches 'model/norm/scale'"), e.getMessage());
  }

  // ---------------------------------------------------------------- validation against shapes and the mesh

  @Test
  void shardingChecksRankAxesAndDivisibilityNamingPathSpecTypeAndMesh() {
    Tree<TensorType> t = Tree.of(Map.of("a/w", TensorType.of(DType.F32, 6, 8)));
    Tree<Sharding> ok = PartitionRules.shard(t, Tree.of(Map.of("a/w", PartitionSpec.of("data", "model"))), MESH);
    assertEquals(Sharding.named(MESH, PartitionSpec.of("data", "model")), ok.get("a/w"));
    String tooLong = message(() -> PartitionRules.shard(t, Tree.of(Map.of("a/w", PartitionSpec.of(null, null, "data"))),
        MESH));
    assertTrue(tooLong.contains("'a/w' tensor<6x8xf32>") && tooLong.contains("P(None, None, 'data')")
        && tooLong.contains("mesh 'mesh' {data=2, model=4}") && tooLong.contains("3 entries for a rank-2 tensor"), tooLong);
    String noAxis = message(() -> PartitionRules.shard(t, Tree.of(Map.of("a/w", PartitionSpec.of("tp"))), MESH));
    assertTrue(noAxis.contains("no axis 'tp'"), noAxis);
    String notDivisible = message(() -> PartitionRules.shard(t,
        Tree.of(Map.of("a/w", PartitionSpec.of(List.of("data", "model")))), MESH));
    assertTrue(notDivisible.contains("dimension 0 (size 6) is not divisible by 8 (data=2 x model=4)"), notDivisible);
    String structure = message(() -> PartitionRules.shard(t, Tree.of(Map.of("a/v", NONE)), MESH));
    assertTrue(structure.contains("'a/v'"), structure);
  }

  // ---------------------------------------------------------------- the Grok-1 preset on Grok-1's tree

  /** Grok-1 314B: 64 layers, vocab 131072, emb 6144, 48 q / 8 kv heads of 128, ffn 32768, 8 experts. */
  static Tree<TensorType> grok1Params(int layers, long emb) {
    long vocab = 131072;
    long q = 48 * 128;
    long kv = 8 * 128;
    long ffn = 32768;
    long experts = 8;
    Tree.Builder<TensorType> b = Tree.builder();
    for (int i = 0; i < layers; i++) {
      String l = "transformer/decoder_layer_" + i + "/";
      b.put(l + "multi_head_attention/query/w", TensorType.of(DType.BF16, emb, q));
      b.put(l + "multi_head_attention/key/w", TensorType.of(DType.BF16, emb, kv));
      b.put(l + "multi_head_attention/value/w", TensorType.of(DType.BF16, emb, kv));
      b.put(l + "multi_head_attention/linear/w", TensorType.of(DType.BF16, q, emb));
      b.put(l + "router/w", TensorType.of(DType.BF16, emb, experts));
      b.put(l + "moe/linear/w", TensorType.of(DType.BF16, experts, emb, ffn));
      b.put(l + "moe/linear_v/w", TensorType.of(DType.BF16, experts, emb, ffn));
      b.put(l + "moe/linear_1/w", TensorType.of(DType.BF16, experts, ffn, emb));
      for (String n : List.of("rms_norm", "rms_norm_1", "rms_norm_2", "rms_norm_3")) {
        b.put(l + n + "/scale", TensorType.of(DType.BF16, emb));
      }
    }
    b.put("language_model/in_out_embed/embeddings", TensorType.of(DType.BF16, vocab, emb));
    b.put("language_model/rms_norm/scale", TensorType.of(DType.BF16, emb));
    return b.build();
  }

  /** The table, by the last components of the path. */
  static PartitionSpec expected(String path) {
    String tail = path.replaceFirst("^(transformer/decoder_layer_[0-9]+|language_model)/", "");
    return switch (tail) {
      case "multi_head_attention/query/w", "multi_head_attention/key/w", "multi_head_attention/value/w" ->
          PartitionSpec.of("data", "model");
      case "multi_head_attention/linear/w" -> PartitionSpec.of("model", "data");
      case "router/w" -> PartitionSpec.of("data");
      case "moe/linear/w", "moe/linear_v/w" -> PartitionSpec.of(null, "data", "model");
      case "moe/linear_1/w" -> PartitionSpec.of(null, "model", "data");
      case "rms_norm/scale", "rms_norm_1/scale", "rms_norm_2/scale", "rms_norm_3/scale" -> NONE;
      case "in_out_embed/embeddings" -> PartitionSpec.of(null, List.of("data", "model"));
      default -> throw new AssertionError("no expectation for " + path + " (tail " + tail + ")");
    };
  }

  @Test
  void grok1PresetGivesTheTableOnGrok1sFullTree() {
    Tree<TensorType> params = grok1Params(64, 6144);
    assertEquals(64 * 12 + 2, params.size());
    Tree<PartitionSpec> specs = PartitionRules.grok1().specs(params);
    for (Tree.Leaf<PartitionSpec> l : specs) assertEquals(expected(l.path()), l.value(), l.path());
    assertEquals(NONE, specs.get("language_model/rms_norm/scale"));
    assertEquals(PartitionSpec.of(null, List.of("data", "model")), specs.get("language_model/in_out_embed/embeddings"));
    assertEquals(PartitionSpec.of(null, "model", "data"), specs.get("transformer/decoder_layer_63/moe/linear_1/w"));

    // Grok-1's own LanguageModelConfig puts the LM rules first: same specs on this tree
    assertEquals(specs, Grok1Rules.LM.then(Grok1Rules.TRANSFORMER).specs(params));

    Tree<Sharding> sh = PartitionRules.grok1().shardings(params, MESH);
    assertEquals(params.paths(), sh.paths());
    assertEquals(Sharding.named(MESH, PartitionSpec.of("data", "model")),
        sh.get("transformer/decoder_layer_0/multi_head_attention/key/w"));
    // the rank-1 spec of the router leaves the expert axis whole; the GSPMD text says so
    assertEquals("{devices=[2,1,4]0,1,2,3,4,5,6,7 last_tile_dim_replicate}",
        ShardingText.gspmd(sh.get("transformer/decoder_layer_5/router/w"), 2));
  }

  @Test
  void grok1PresetOnAStackedTreeAndTheDenseRules() {
    WindowRules g = PartitionRules.grok1();
    assertEquals(PartitionSpec.of(null, null, "data", "model"),
        g.match("transformer/layer_stack/moe/linear/w").orElseThrow());
    assertEquals(PartitionSpec.of("data", "model"), g.match("transformer/decoder_layer_7/linear_v/w").orElseThrow());
    assertEquals(PartitionSpec.of("model", "data"), g.match("transformer/decoder_layer_7/linear_1/w").orElseThrow());
    assertEquals(NONE, g.match("transformer/decoder_layer_7/linear_1/b").orElseThrow());
    assertEquals(NONE, g.match("transformer/decoder_layer_7/layer_norm/offset").orElseThrow());
    assertEquals(NONE, g.match("transformer/decoder_layer_7/multi_head_attention/query/b").orElseThrow());
    assertEquals(PartitionSpec.of(null, List.of("data", "model")),
        g.match("language_model/positional_embeddings").orElseThrow());
    assertEquals(Optional.empty(), g.match("transformer/decoder_x/linear/w"));
  }

  /** xla4j's int8 tree: each scales leaf [nb, out] shards its out axis as its w's out axis; nb stays whole. */
  @Test
  void grok1PresetShardsInt8ScalesAlongTheirWeightsOutAxis() {
    WindowRules g = PartitionRules.grok1();
    String l = "transformer/decoder_layer_3/";
    for (String qkv : List.of("query", "key", "value")) {
      assertEquals(PartitionSpec.of(null, "model"), g.match(l + "multi_head_attention/" + qkv + "/scales").orElseThrow(), qkv);
    }
    assertEquals(PartitionSpec.of(null, "data"), g.match(l + "multi_head_attention/linear/scales").orElseThrow());
    assertEquals(PartitionSpec.of(null, null, "model"), g.match(l + "moe/linear/scales").orElseThrow());
    assertEquals(PartitionSpec.of(null, null, "model"), g.match(l + "moe/linear_v/scales").orElseThrow());
    assertEquals(PartitionSpec.of(null, null, "data"), g.match(l + "moe/linear_1/scales").orElseThrow());
    assertEquals(PartitionSpec.of(null, "model"), g.match(l + "linear_v/scales").orElseThrow());
    assertEquals(PartitionSpec.of(null, "data"), g.match(l + "linear_1/scales").orElseThrow());
    // a stacked tree gets the leading None like every other leaf
    assertEquals(PartitionSpec.of(null, null, null, "data"), g.match("transformer/layer_stack/moe/linear_1/scales").orElseThrow());
    // the rules' out axis is the one its w shards: nb = 8 need not divide, out must (full Grok-1 on data=2, model=4)
    Tree<TensorType> t = Tree.<TensorType>builder()
        .put(l + "moe/linear_1/scales", TensorType.of(DType.BF16, 8, 8, 6144))
        .put(l + "multi_head_attention/query/scales", TensorType.of(DType.BF16, 1, 6144))
        .build();
    assertEquals(t.paths(), PartitionRules.grok1().shardings(t, MESH).paths());
    // and a scale leaf of another name is not caught by them
    assertEquals(Optional.empty(), g.match(l + "moe/linear_2/scales"));
  }

  @Test
  void grok1TreeOnMeshesItDoesNotDivide() {
    // model=3 does not divide the ffn (32768); the first leaf in flatten order that fails is named
    Mesh m3 = Mesh.builder("mesh").axis("data", 2).axis("model", 3).build();
    String e = message(() -> PartitionRules.grok1().shardings(grok1Params(2, 6144), m3));
    assertTrue(e.contains("'transformer/decoder_layer_0/moe/linear/w' tensor<8x6144x32768xbf16>")
        && e.contains("P(None, 'data', 'model')") && e.contains("{data=2, model=3}")
        && e.contains("dimension 2 (size 32768) is not divisible by 3 (model=3)"), e);
    // on data=2 x model=4, an embedding width of 6148 is not divisible by data x model = 8
    String w = message(() -> PartitionRules.grok1().shardings(grok1Params(1, 6148), MESH));
    assertTrue(w.contains("'language_model/in_out_embed/embeddings' tensor<131072x6148xbf16>")
        && w.contains("dimension 1 (size 6148) is not divisible by 8 (data=2 x model=4)"), w);
  }

  /** The shardings feed {@code Graph.parameters}: each argument carries its rule's spec in the emitted text. */
  @Test
  void grok1ShardingsBecomeArgumentShardingsInTheModule() {
    Tree<TensorType> params = Tree.<TensorType>builder()
        .put("transformer/decoder_layer_0/moe/linear_1/w", TensorType.of(DType.BF16, 8, 64, 16))
        .put("transformer/decoder_layer_0/router/w", TensorType.of(DType.BF16, 16, 8))
        .put("language_model/rms_norm/scale", TensorType.of(DType.BF16, 16))
        .build();
    org.xla4j.dsl.Graph g = new org.xla4j.dsl.Graph("grok_params");
    Tree<org.xla4j.dsl.Tensor> p = g.parameters(params, PartitionRules.grok1().shardings(params, MESH));
    String text = org.xla4j.emit.StableHloPrinter.print(g.build(p.get("transformer/decoder_layer_0/router/w")),
        org.xla4j.emit.EmitOptions.shardy());
    // arguments in flatten order: language_model/..., then moe/linear_1/w, then router/w
    assertTrue(text.contains("tensor<16xbf16> {sdy.sharding = #sdy.sharding<@mesh, [{}]>}"), text);
    assertTrue(text.contains("tensor<8x64x16xbf16> {sdy.sharding = #sdy.sharding<@mesh, [{}, {\"model\"}, {\"data\"}]>}"),
        text);
    assertTrue(text.contains("tensor<16x8xbf16> {sdy.sharding = #sdy.sharding<@mesh, [{\"data\"}, {}]>}"), text);
  }

  private static String message(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run).getMessage();
  }
}
