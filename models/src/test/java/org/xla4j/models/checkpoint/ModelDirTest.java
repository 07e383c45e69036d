package org.xla4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.checkpoint.CheckpointException;
import org.xla4j.checkpoint.CheckpointTensor;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/** Model directories: type detection, name maps, the sharded index, and every checkpoint error. */
class ModelDirTest {
  @TempDir
  Path tmp;

  static final LlamaConfig TINY = LlamaConfig.fromJson(HfFixtures.LLAMA_CONFIG);

  private Path llama(String name, Map<String, HostTensor> tensors) throws Exception {
    return HfFixtures.write(tmp.resolve(name), HfFixtures.LLAMA_CONFIG, tensors);
  }

  @Test
  void llamaDirectoryMapsEveryTensorTransposed() throws Exception {
    Map<String, HostTensor> t = HfFixtures.llamaTensors(TINY, 1);
    try (ModelDir d = ModelDir.open(llama("ok", t))) {
      assertEquals(ModelType.LLAMA, d.type());
      assertEquals(TINY, d.llamaConfig());
      Tree<CheckpointTensor> p = d.parameters();
      assertEquals(TINY.parameterTypes(), p.map(CheckpointTensor::type));
      // q_proj: torch [out, in] = [32, 32] -> w[i, o] = weight[o, i]; k_proj [16, 32] -> [32, 16]
      HostTensor k = t.get("model.layers.1.self_attn.k_proj.weight");
      HostTensor w = p.get("model/layers/1/self_attn/k_proj/w").read();
      assertEquals(TensorType.of(DType.F32, 32, 16), w.type());
      assertEquals(k.getFloat(5, 7), w.getFloat(7, 5));
      assertEquals(k.getFloat(15, 31), w.getFloat(31, 15));
      assertEquals("model.layers.1.self_attn.k_proj.weight",
          ModelDir.checkpointName(p.get("model/layers/1/self_attn/k_proj/w")));
    }
  }

  @Test
  void missingTensorNamesThePathAndType() throws Exception {
    Map<String, HostTensor> t = HfFixtures.llamaTensors(TINY, 2);
    t.remove("model.layers.0.mlp.up_proj.weight");
    try (ModelDir d = ModelDir.open(llama("missing", t))) {
      CheckpointException e = assertThrows(CheckpointException.class, d::parameters);
      assertTrue(e.getMessage().contains("missing: path 'model/layers/0/mlp/up_proj/w' (tensor<32x48xf32>)"), e.getMessage());
    }
  }

  @Test
  void extraTensorNamesTensorFileAndPath() throws Exception {
    Map<String, HostTensor> t = HfFixtures.llamaTensors(TINY, 3);
    t.put("model.layers.2.mlp.up_proj.weight", t.get("model.layers.0.mlp.up_proj.weight"));
    try (ModelDir d = ModelDir.open(llama("extra", t))) {
      String m = assertThrows(CheckpointException.class, d::parameters).getMessage();
      assertTrue(m.contains("extra: checkpoint tensor 'model.layers.2.mlp.up_proj.weight' in ") && m.contains("model.safetensors")
          && m.contains("'model/layers/2/mlp/up_proj/w'"), m);
    }
  }

  @Test
  void wrongShapeAndWrongDtypeNameTensorFileAndBothTypes() throws Exception {
    Map<String, HostTensor> t = HfFixtures.llamaTensors(TINY, 4);
    t.put("model.layers.0.self_attn.q_proj.weight", HfFixtures.random(new java.util.Random(0), DType.F32, 32, 24));
    t.put("model.norm.weight", HfFixtures.random(new java.util.Random(0), DType.BF16, 32));
    try (ModelDir d = ModelDir.open(llama("wrong", t))) {
      String m = assertThrows(CheckpointException.class, d::parameters).getMessage();
      assertTrue(m.contains("wrong type: path 'model/layers/0/self_attn/q_proj/w' expects tensor<32x32xf32>, checkpoint tensor "
          + "'model.layers.0.self_attn.q_proj.weight' in ") && m.contains("gives tensor<24x32xf32> (stored as tensor<32x24xf32>, "
          + "transposed [1, 0])"), m);
      assertTrue(m.contains("wrong type: path 'model/norm/scale' expects tensor<32xf32>, checkpoint tensor 'model.norm.weight' in ")
          && m.contains("gives tensor<32xbf16>"), m);
      assertTrue(m.contains(d.reader().files().get(0).toString()), "names the file: " + m);
    }
  }

  @Test
  void unknownTensorNameIsRefused() throws Exception {
    Map<String, HostTensor> t = HfFixtures.llamaTensors(TINY, 5);
    t.put("model.layers.0.self_attn.q_scale.weight", HfFixtures.random(new java.util.Random(0), DType.F32, 8));
    try (ModelDir d = ModelDir.open(llama("unknown", t))) {
      String m = assertThrows(CheckpointException.class, d::parameters).getMessage();
      assertTrue(m.contains("'model.layers.0.self_attn.q_scale.weight' (tensor<8xf32> in ") && m.contains("match no rule"), m);
    }
    // a qk_norm scale is a known name, but a config without qk_norm has no place for it
    t.remove("model.layers.0.self_attn.q_scale.weight");
    t.put("model.layers.0.self_attn.q_norm.weight", HfFixtures.random(new java.util.Random(0), DType.F32, 8));
    try (ModelDir d = ModelDir.open(llama("qknorm", t))) {
      String m = assertThrows(CheckpointException.class, d::parameters).getMessage();
      assertTrue(m.contains("'model.layers.0.self_attn.q_norm.weight'") && m.contains("which the model does not have"), m);
    }
  }

  @Test
  void withoutTorchDtypeTheEmbeddingsDtypeIsTheModelsAndIgnoredBuffersAreSkipped() throws Exception {
    LlamaConfig bf = TINY.toBuilder().dtype(DType.BF16).tieWordEmbeddings(true).build();
    Map<String, HostTensor> t = HfFixtures.llamaTensors(bf, 6);
    t.put("model.layers.0.self_attn.rotary_emb.inv_freq", HfFixtures.random(new java.util.Random(0), DType.F32, 4));
    // tied, but the export kept lm_head.weight: ignored
    t.put("lm_head.weight", t.get("model.embed_tokens.weight"));
    String cfg = HfFixtures.LLAMA_CONFIG.replace("\"torch_dtype\": \"float32\"", "\"tie_word_embeddings\": true");
    try (ModelDir d = ModelDir.open(HfFixtures.write(tmp.resolve("bf16"), cfg, t))) {
      assertEquals(DType.BF16, d.llamaConfig().dtype());
      assertEquals(bf.parameterTypes(), d.parameters().map(CheckpointTensor::type));
    }
  }

  @Test
  void shardedIndexGivesTheSameParametersAsOneFile() throws Exception {
    Map<String, HostTensor> t = HfFixtures.llamaTensors(TINY, 7);
    Path dir = Files.createDirectories(tmp.resolve("sharded"));
    Files.writeString(dir.resolve("config.json"), HfFixtures.LLAMA_CONFIG);
    Map<String, HostTensor> a = new LinkedHashMap<>();
    Map<String, HostTensor> b = new LinkedHashMap<>();
    StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
    int i = 0;
    for (var e : t.entrySet()) {
      String file = i % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
      (i % 2 == 0 ? a : b).put(e.getKey(), e.getValue());
      index.append(i++ == 0 ? "" : ", ").append('"').append(e.getKey()).append("\": \"").append(file).append('"');
    }
    Files.writeString(dir.resolve("model.safetensors.index.json"), index.append("}}").toString());
    Safetensors.write(dir.resolve("model-00001-of-00002.safetensors"), a);
    Safetensors.write(dir.resolve("model-00002-of-00002.safetensors"), b);
    try (ModelDir sharded = ModelDir.open(dir); ModelDir one = ModelDir.open(llama("one", t))) {
      assertEquals(2, sharded.reader().files().size());
      Tree<HostTensor> x = ModelDir.read(sharded.parameters(), LoadProgress.NONE);
      Tree<HostTensor> y = ModelDir.read(one.parameters(), LoadProgress.NONE);
      assertEquals(y.paths(), x.paths());
      for (String p : x.paths()) assertArrayEquals(y.get(p).bytes(), x.get(p).bytes(), p);
    }
  }

  @Test
  void grokConversionIsDetectedByNamesAndStacksExperts() throws Exception {
    Map<String, HostTensor> t = HfFixtures.grokTensors(false, 8);
    try (ModelDir d = ModelDir.open(HfFixtures.write(tmp.resolve("grok"), HfFixtures.GROK_CONFIG, t))) {
      assertEquals(ModelType.GROK1, d.type());
      Tree<CheckpointTensor> p = d.parameters();
      int fd = HfFixtures.F;
      assertEquals(TensorType.of(DType.BF16, HfFixtures.E, HfFixtures.D, fd),
          p.get("transformer/decoder_layer_1/moe/linear/w").type());
      assertEquals(TensorType.of(DType.BF16, HfFixtures.E, fd, HfFixtures.D),
          p.get("transformer/decoder_layer_1/moe/linear_1/w").type());
      assertEquals(TensorType.of(DType.F32, HfFixtures.D, HfFixtures.E), p.get("transformer/decoder_layer_0/router/w").type());
      assertEquals(TensorType.of(DType.BF16, HfFixtures.HQ * HfFixtures.KS, HfFixtures.D),
          p.get("transformer/decoder_layer_0/multi_head_attention/linear/w").type());
      assertEquals(TensorType.of(DType.F32, HfFixtures.V, HfFixtures.D), p.get("language_model/in_out_embed/embeddings").type());
      assertTrue(p.contains("language_model/rms_norm/scale") && p.contains("transformer/decoder_layer_1/rms_norm_3/scale"));
      assertEquals(2 + HfFixtures.LAYERS * 12, p.size());
      // expert 1's linear_v: stacked[1][i][o] = moe.1.linear_v.weight[o][i]
      HostTensor src = t.get("transformer.decoder_layer.0.moe.1.linear_v.weight");
      HostTensor got = p.get("transformer/decoder_layer_0/moe/linear_v/w").read();
      assertEquals(src.getFloat(20, 3), got.getFloat(1, 3, 20));
      assertEquals("transformer.decoder_layer.0.moe.{0..1}.linear_v.weight",
          ModelDir.checkpointName(p.get("transformer/decoder_layer_0/moe/linear_v/w")));
    }
  }

  @Test
  void grokInt8LayoutGivesWeightsAndScalesTheModelDequantizes() throws Exception {
    Map<String, HostTensor> t = HfFixtures.grokTensors(true, 9);
    try (ModelDir d = ModelDir.open(HfFixtures.write(tmp.resolve("grok8"), HfFixtures.GROK_CONFIG.replace("{", "{\"model_type\": \"grok-1\", "), t))) {
      assertEquals(ModelType.GROK1, d.type());
      assertEquals(org.xla4j.models.grok.WeightFormat.INT8, d.grok1Config().weightFormat());
      Tree<CheckpointTensor> p = d.parameters();
      String a = "transformer/decoder_layer_0/multi_head_attention/";
      assertEquals(TensorType.of(DType.I8, HfFixtures.D, HfFixtures.HQ * HfFixtures.KS), p.get(a + "query/w").type());
      assertEquals(TensorType.of(DType.BF16, 1, HfFixtures.HQ * HfFixtures.KS), p.get(a + "query/scales").type());
      assertEquals(TensorType.of(DType.BF16, 8, HfFixtures.D), p.get(a + "linear/scales").type());
      String m = "transformer/decoder_layer_1/moe/";
      assertEquals(TensorType.of(DType.I8, HfFixtures.E, HfFixtures.F, HfFixtures.D), p.get(m + "linear_1/w").type());
      assertEquals(TensorType.of(DType.BF16, HfFixtures.E, 8, HfFixtures.D), p.get(m + "linear_1/scales").type());
      // W[i, o] = w[i, o] · scales[i / (in / nb), o] on the tree equals weight[o, i] · scales[i / (in / nb), o] stored
      HostTensor w8 = t.get("transformer.decoder_layer.1.moe.1.linear_1.weight");
      HostTensor s8 = t.get("transformer.decoder_layer.1.moe.1.linear_1.scales");
      HostTensor w = p.get(m + "linear_1/w").read();
      HostTensor s = p.get(m + "linear_1/scales").read();
      int in = HfFixtures.F;
      for (int i = 0; i < in; i += 5) {
        for (int o = 0; o < HfFixtures.D; o += 3) {
          float want = w8.getFloat(o, i) * s8.getFloat(i / (in / 8), o);
          assertEquals(want, w.getFloat(1, i, o) * s.getFloat(1, i / (in / 8), o), "W[" + i + ", " + o + "]");
        }
      }
    }
  }

  @Test
  void grokConfigKeysAndAWronglyTypedGrokTensor() throws Exception {
    Map<String, HostTensor> t = HfFixtures.grokTensors(false, 11);
    t.put("transformer.decoder_layer.1.rms_norm_2.weight", HfFixtures.random(new java.util.Random(0), DType.BF16, 16));
    try (ModelDir d = ModelDir.open(HfFixtures.write(tmp.resolve("grokcfg"), HfFixtures.GROK_CONFIG, t))) {
      org.xla4j.models.grok.Grok1Config c = d.grok1Config();
      assertEquals(16, c.embeddingSize());
      assertEquals(24, c.ffnSize());
      assertEquals(4.0, c.embeddingMultiplier());
      assertEquals(0.3535533905932738, c.attnOutputMultiplier());
      assertEquals(30.0, c.maxAttnValue());
      assertEquals(2, c.numExperts());
      assertEquals(org.xla4j.models.grok.WeightFormat.BF16, c.weightFormat());
      String m = assertThrows(CheckpointException.class, d::parameters).getMessage();
      assertTrue(m.contains("wrong type: path 'transformer/decoder_layer_1/rms_norm_2/scale' expects tensor<16xf32>, "
          + "checkpoint tensor 'transformer.decoder_layer.1.rms_norm_2.weight' in ") && m.contains("gives tensor<16xbf16>"), m);
    }
    String bad = HfFixtures.GROK_CONFIG.replace("\"intermediate_size\": 24", "\"intermediate_size\": 25");
    try (ModelDir d = ModelDir.open(HfFixtures.write(tmp.resolve("grokbad"), bad, HfFixtures.grokTensors(false, 12)))) {
      String m = assertThrows(IllegalArgumentException.class, d::grok1Config).getMessage();
      assertTrue(m.contains("intermediate_size 25"), m);
    }
  }

  @Test
  void grokStackWithAMissingExpertIsRefused() throws Exception {
    Map<String, HostTensor> t = HfFixtures.grokTensors(false, 10);
    t.remove("transformer.decoder_layer.1.moe.0.linear.weight");
    try (ModelDir d = ModelDir.open(HfFixtures.write(tmp.resolve("grokmiss"), HfFixtures.GROK_CONFIG, t))) {
      String m = assertThrows(CheckpointException.class, d::parameters).getMessage();
      assertTrue(m.contains("transformer/decoder_layer_1/moe/linear/w") && m.contains("index 0 is missing"), m);
    }
  }

  @Test
  void directoryProblemsAreNamed() throws Exception {
    String noCfg = assertThrows(IllegalArgumentException.class, () -> ModelDir.open(Files.createDirectories(tmp.resolve("e"))))
        .getMessage();
    assertTrue(noCfg.contains("has no config.json"), noCfg);
    Path noCkpt = Files.createDirectories(tmp.resolve("c"));
    Files.writeString(noCkpt.resolve("config.json"), HfFixtures.LLAMA_CONFIG);
    String m = assertThrows(IllegalArgumentException.class, () -> ModelDir.open(noCkpt)).getMessage();
    assertTrue(m.contains("no .safetensors file"), m);
    Path odd = HfFixtures.write(tmp.resolve("odd"), "{}", Map.of("encoder.w", HfFixtures.random(new java.util.Random(0),
        DType.F32, 2)));
    String t = assertThrows(IllegalArgumentException.class, () -> ModelDir.open(odd)).getMessage();
    assertTrue(t.contains("cannot tell the model type") && t.contains("known types: llama, grok-1"), t);
  }

  @Test
  void grokNamesInvertTheMapForBothWeightFormats() {
    for (var f : org.xla4j.models.grok.WeightFormat.values()) {
      for (Tree.Leaf<TensorType> l : org.xla4j.models.grok.Grok1Config.tiny().withWeightFormat(f).parameterTypes()) {
        String name = Grok1HfNames.nameOf(l.path(), l.value());
        // a stack's name with its first index maps back to the stacked path
        String first = name.replaceAll("\\{0\\.\\.\\d+}", "0");
        assertEquals(l.path(), Grok1HfNames.map().pathOf(first).orElseThrow(), name);
      }
    }
    assertEquals("transformer.decoder_layer.3.moe.{0..7}.linear_1.scales", Grok1HfNames.nameOf(
        "transformer/decoder_layer_3/moe/linear_1/scales", TensorType.of(DType.BF16, 8, 8, 6144)));
    assertThrows(IllegalArgumentException.class, () -> Grok1HfNames.nameOf("model/norm/scale", TensorType.of(DType.F32, 4)));
  }

  @Test
  void typeDetectionPrefersTheConfig() {
    com.google.gson.JsonObject c = new com.google.gson.JsonObject();
    c.addProperty("model_type", "llama");
    assertEquals(ModelType.LLAMA, ModelType.detect(c, List.of("transformer.decoder_layer.0.router.weight")));
    assertEquals(ModelType.GROK1, ModelType.detect(new com.google.gson.JsonObject(),
        List.of("transformer.decoder_layer.0.router.weight")));
    assertEquals(ModelType.LLAMA, ModelType.detect(new com.google.gson.JsonObject(), List.of("model.layers.0.mlp.up_proj.weight")));
  }
}
