package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/** {@code xla4j model info|load}, run in-process through picocli. */
class ModelCommandTest {
  @TempDir
  Path tmp;

  record Out(int rc, String out, String err) {}

  private static Out run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int rc = Main.run(args);
      return new Out(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  private static Map<String, JsonObject> byPath(JsonObject root) {
    Map<String, JsonObject> m = new LinkedHashMap<>();
    for (JsonElement e : root.getAsJsonArray("params")) m.put(e.getAsJsonObject().get("path").getAsString(), e.getAsJsonObject());
    return m;
  }

  @Test
  void tinyLlamaJsonListsEveryParameterWithBytesAndTotal() {
    Out o = run("model", "info", "tiny-llama", "--json");
    assertEquals(0, o.rc, o.err);
    JsonObject root = JsonParser.parseString(o.out).getAsJsonObject();
    Map<String, JsonObject> p = byPath(root);
    var types = LlamaConfig.tiny().parameterTypes();
    assertEquals(types.paths(), java.util.List.copyOf(p.keySet()));
    JsonObject k = p.get("model/layers/1/self_attn/k_proj/w");
    assertEquals("model.layers.1.self_attn.k_proj.weight", k.get("name").getAsString());
    assertEquals("f32", k.get("dtype").getAsString());
    assertEquals("[32,16]", k.get("shape").toString());
    assertEquals(32 * 16 * 4, k.get("bytes").getAsLong());
    assertEquals(new JsonArray(), k.getAsJsonArray("spec"));
    long total = types.leaves().stream().mapToLong(TensorType::byteSize).sum();
    assertEquals(total, root.get("total_bytes").getAsLong());
    // the table form has the same rows and the total
    Out t = run("model", "info", "tiny-llama");
    assertTrue(t.out.contains("model/layers/1/self_attn/k_proj/w") && t.out.contains("model.layers.1.self_attn.k_proj.weight")
        && t.out.contains(types.size() + " parameters") && t.out.contains("(" + total + " bytes)"), t.out);
  }

  private Path grokDir() throws Exception {
    Random r = new Random(3);
    Map<String, HostTensor> t = new LinkedHashMap<>();
    t.put("transformer.in_out_embed.weight", rnd(r, DType.F32, 32, 16));
    t.put("transformer.rms_norm.weight", rnd(r, DType.F32, 16));
    String pre = "transformer.decoder_layer.0.";
    t.put(pre + "multi_head_attention.query.weight", rnd(r, DType.BF16, 32, 16));
    t.put(pre + "multi_head_attention.key.weight", rnd(r, DType.BF16, 16, 16));
    t.put(pre + "multi_head_attention.value.weight", rnd(r, DType.BF16, 16, 16));
    t.put(pre + "multi_head_attention.linear.weight", rnd(r, DType.BF16, 16, 32));
    t.put(pre + "router.weight", rnd(r, DType.F32, 2, 16));
    for (int e = 0; e < 2; e++) {
      t.put(pre + "moe." + e + ".linear.weight", rnd(r, DType.BF16, 24, 16));
      t.put(pre + "moe." + e + ".linear_v.weight", rnd(r, DType.BF16, 24, 16));
      t.put(pre + "moe." + e + ".linear_1.weight", rnd(r, DType.BF16, 16, 24));
    }
    for (String n : new String[] {"rms_norm", "rms_norm_1", "rms_norm_2", "rms_norm_3"}) {
      t.put(pre + n + ".weight", rnd(r, DType.F32, 16));
    }
    Path dir = Files.createDirectories(tmp.resolve("grok"));
    Files.writeString(dir.resolve("config.json"), """
        {"model_type": "grok-1", "vocab_size": 32, "hidden_size": 16, "num_hidden_layers": 1,
         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "intermediate_size": 24, "num_experts": 2,
         "num_experts_per_tok": 2}""");
    Safetensors.write(dir.resolve("model.safetensors"), t);
    return dir;
  }

  private static HostTensor rnd(Random r, DType d, long... dims) {
    float[] f = new float[(int) Shape.of(dims).numElements()];
    for (int i = 0; i < f.length; i++) f[i] = r.nextFloat();
    return HostTensor.of(d, Shape.of(dims), f);
  }

  @Test
  void grokDirectoryWithGrok1RulesOnAMesh() throws Exception {
    Out o = run("model", "info", grokDir().toString(), "--rules", "grok1", "--mesh", "data=2,model=4", "--json");
    assertEquals(0, o.rc, o.err);
    Map<String, JsonObject> p = byPath(JsonParser.parseString(o.out).getAsJsonObject());
    JsonObject moe = p.get("transformer/decoder_layer_0/moe/linear_1/w");
    assertEquals("transformer.decoder_layer.0.moe.{0..1}.linear_1.weight", moe.get("name").getAsString());
    assertEquals("bf16", moe.get("dtype").getAsString());
    assertEquals("[2,24,16]", moe.get("shape").toString());
    assertEquals("[null,\"model\",\"data\"]", moe.get("spec").toString());
    assertEquals("[\"data\",\"model\"]", p.get("transformer/decoder_layer_0/multi_head_attention/query/w").get("spec").toString());
    assertEquals("[16,32]", p.get("transformer/decoder_layer_0/multi_head_attention/query/w").get("shape").toString());
    assertEquals("[null,[\"data\",\"model\"]]", p.get("language_model/in_out_embed/embeddings").get("spec").toString());
    assertEquals("[\"data\"]", p.get("transformer/decoder_layer_0/router/w").get("spec").toString());
    assertEquals("[16,2]", p.get("transformer/decoder_layer_0/router/w").get("shape").toString());
    assertEquals("[null]", p.get("language_model/rms_norm/scale").get("spec").toString());
    assertEquals(14, p.size());
  }

  @Test
  void grok1PresetHas314BParametersShardedByGrok1Rules() {
    Out o = run("model", "info", "grok-1", "--rules", "grok1", "--mesh", "data=1,model=8", "--json");
    assertEquals(0, o.rc, o.err);
    JsonObject root = JsonParser.parseString(o.out).getAsJsonObject();
    Map<String, JsonObject> p = byPath(root);
    assertEquals(2 + 64 * 12, p.size());
    long elements = 0;
    for (JsonObject r : p.values()) {
      long n = 1;
      for (JsonElement d : r.getAsJsonArray("shape")) n *= d.getAsLong();
      elements += n;
    }
    assertEquals(315_684_820_992L, elements);   // vocab·D + D + 64·(attention + router + 8 experts + 4 norms): "314B"
    JsonObject moe = p.get("transformer/decoder_layer_63/moe/linear/w");
    assertEquals("transformer.decoder_layer.63.moe.{0..7}.linear.weight", moe.get("name").getAsString());
    assertEquals("[8,6144,32768]", moe.get("shape").toString());
    assertEquals("[null,\"data\",\"model\"]", moe.get("spec").toString());
  }

  @Test
  void aMeshTheShapesDoNotDivideAndBadOptionsAreUsageErrors() throws Exception {
    Out o = run("model", "info", grokDir().toString(), "--rules", "grok1", "--mesh", "data=3,model=4");
    assertEquals(2, o.rc);
    assertTrue(o.err.contains("not divisible by 12 (data=3 x model=4)") && o.err.contains("language_model/in_out_embed/embeddings"), o.err);
    Out m = run("model", "info", "tiny-llama", "--mesh", "data=two");
    assertEquals(2, m.rc);
    assertTrue(m.err.contains("--mesh takes AXIS=SIZE"), m.err);
    Out r = run("model", "info", "tiny-llama", "--rules", "easydel");
    assertEquals(2, r.rc);
    assertTrue(r.err.contains("--rules must be none or grok1"), r.err);
    Out d = run("model", "info", tmp.resolve("nowhere").toString());
    assertEquals(2, d.rc);
    assertTrue(d.err.contains("neither a model directory nor a preset"), d.err);
  }

  @Test
  void loadUploadsEveryParameterWithAProgressBar() throws URISyntaxException {
    Path base = Path.of(ModelCommandTest.class.getResource("/llama/base/config.json").toURI()).getParent();
    Out o = run("model", "load", base.toString(), "--backend", "cpu");
    assertEquals(0, o.rc, o.err);
    assertTrue(o.out.contains("LLAMA: 29 parameters, 79232 bytes uploaded"), o.out);
    assertTrue(o.err.contains("100%"), o.err);
  }
}
