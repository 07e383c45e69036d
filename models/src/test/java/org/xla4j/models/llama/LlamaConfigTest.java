package org.xla4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.xla4j.checkpoint.CheckpointMap;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/** config.json reading, the parameter tree, the name map and its inverse, llama3 frequency scaling. */
class LlamaConfigTest {
  static final String LLAMA_3_2_1B = """
      {"architectures": ["LlamaForCausalLM"], "attention_bias": false, "bos_token_id": 128000,
       "eos_token_id": [128001, 128008, 128009], "head_dim": 64, "hidden_size": 2048, "intermediate_size": 8192,
       "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama", "num_attention_heads": 32,
       "num_hidden_layers": 16, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
       "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                        "original_max_position_embeddings": 8192, "rope_type": "llama3"},
       "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "vocab_size": 128256}
      """;

  @Test
  void readsAHuggingFaceConfig() {
    LlamaConfig c = LlamaConfig.fromJson(LLAMA_3_2_1B);
    assertEquals(128256, c.vocabSize());
    assertEquals(2048, c.hiddenSize());
    assertEquals(32, c.numHeads());
    assertEquals(8, c.numKvHeads());
    assertEquals(64, c.headDim());
    assertEquals(1e-5, c.rmsEps());
    assertEquals(500000.0, c.ropeTheta());
    assertEquals(new RopeScaling(32, 1, 4, 8192), c.ropeScaling().orElseThrow());
    assertTrue(c.tieWordEmbeddings());
    assertEquals(OptionalInt.of(128000), c.bosTokenId());
    assertEquals(List.of(128001, 128008, 128009), c.eosTokenIds());
    assertTrue(c.padTokenId().isEmpty());
    assertEquals(DType.BF16, c.dtype());
    // Llama 3.2 1B has 1,235,814,400 parameters (tied)
    long n = c.parameterTypes().leaves().stream().mapToLong(t -> t.shape().numElements()).sum();
    assertEquals(1_235_814_400L, n);
  }

  @Test
  void absentKeysTakeHuggingFacesDefaults() {
    LlamaConfig c = LlamaConfig.fromJson("""
        {"vocab_size": 100, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1,
         "num_attention_heads": 4, "eos_token_id": 2, "pad_token_id": null}""");
    assertEquals(16, c.headDim());
    assertEquals(4, c.numKvHeads());
    assertEquals(List.of(2), c.eosTokenIds());
    assertTrue(c.padTokenId().isEmpty() && c.ropeScaling().isEmpty());
    assertEquals(DType.F32, c.dtype());
    assertFalse(c.tieWordEmbeddings());
  }

  @Test
  void badConfigsNameTheKey() {
    String m = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson("{\"hidden_size\": 8}")).getMessage();
    assertTrue(m.contains("'vocab_size'"), m);
    String base = "{\"vocab_size\": 8, \"hidden_size\": 8, \"intermediate_size\": 8, \"num_hidden_layers\": 1, "
        + "\"num_attention_heads\": 2, ";
    m = assertThrows(IllegalArgumentException.class,
        () -> LlamaConfig.fromJson(base + "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2}}")).getMessage();
    assertTrue(m.contains("rope_scaling type 'linear'"), m);
    m = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(base + "\"num_key_value_heads\": 3}"))
        .getMessage();
    assertTrue(m.contains("num_key_value_heads dividing num_attention_heads"), m);
    m = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(base + "\"torch_dtype\": \"int8\"}"))
        .getMessage();
    assertTrue(m.contains("torch_dtype 'int8'"), m);
  }

  @Test
  void parameterTreeMirrorsHuggingFaceNamesInInOutLayout() {
    LlamaConfig c = LlamaConfig.tiny().toBuilder().attentionBias(true).mlpBias(true).build();
    Tree<TensorType> p = c.parameterTypes();
    assertEquals(TensorType.of(DType.F32, 32, 16), p.get("model/layers/1/self_attn/k_proj/w"));
    assertEquals(TensorType.of(DType.F32, 16), p.get("model/layers/1/self_attn/k_proj/b"));
    assertEquals(TensorType.of(DType.F32, 48, 32), p.get("model/layers/0/mlp/down_proj/w"));
    assertEquals(TensorType.of(DType.F32, 32, 64), p.get("lm_head/w"));
    assertEquals(3 + 2 * (4 * 2 + 3 * 2 + 2), p.size());
    // the name map sends every HF name back to its path
    CheckpointMap map = LlamaCheckpoint.map(c);
    for (String path : p.paths()) assertEquals(path, map.pathOf(LlamaCheckpoint.nameOf(path)).orElseThrow(), path);
    assertEquals("model.layers.1.post_attention_layernorm.weight",
        LlamaCheckpoint.nameOf("model/layers/1/post_attention_layernorm/scale"));
    assertTrue(map.pathOf("model.layers.0.self_attn.rotary_emb.inv_freq").isEmpty());
    assertTrue(LlamaCheckpoint.map(c.toBuilder().tieWordEmbeddings(true).build()).pathOf("lm_head.weight").isEmpty());
  }

  @Test
  void llama3ScalingKeepsHighDividesLowAndBlendsTheMiddle() {
    // original 32, low 1, high 4: wavelengths < 8 kept, > 32 divided by 8, between blended
    RopeScaling s = new RopeScaling(8, 1, 4, 32);
    double[] inv = {1.0, 2 * Math.PI / 16, 2 * Math.PI / 64};   // wavelengths 6.28, 16, 64
    double[] out = s.apply(inv);
    assertEquals(1.0, out[0]);
    assertEquals(inv[2] / 8, out[2], 1e-15);
    double smooth = (32 / 16.0 - 1) / (4 - 1);                   // 1/3
    assertEquals((1 - smooth) * inv[1] / 8 + smooth * inv[1], out[1], 1e-15);
    assertEquals(1 / Math.pow(10000, 2.0 / 8), LlamaRope.invFreq(8, 10000)[1], 1e-15);
    assertThrows(IllegalArgumentException.class, () -> new RopeScaling(8, 4, 1, 32));
  }
}
