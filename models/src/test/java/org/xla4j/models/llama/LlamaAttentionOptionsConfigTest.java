package org.xla4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.xla4j.checkpoint.CheckpointMap;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Rng;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.OpException;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * xlstm-jax's attention options in {@link LlamaConfig} (config.json keys, builder, the q/k norm parameters and
 * their checkpoint names) and the clear errors of bad options and inputs. Numerics are in the tests module's
 * LlamaAttentionOptionsTest.
 */
class LlamaAttentionOptionsConfigTest {
  static final String BASE = "{\"vocab_size\": 64, \"hidden_size\": 32, \"intermediate_size\": 48, "
      + "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, ";

  @Test
  void configJsonReadsTheOptions() {
    LlamaConfig d = LlamaConfig.fromJson(BASE + "\"head_dim\": 8}");
    assertFalse(d.qkNorm());
    assertTrue(d.causal());
    assertEquals(0.0, d.attentionDropout());
    assertEquals(0.0, d.hiddenDropout());
    assertEquals(Mechanism.VANILLA, d.attention());

    LlamaConfig c = LlamaConfig.fromJson(BASE + "\"head_dim\": 16, \"qk_norm\": true, \"causal\": false, "
        + "\"attention_dropout\": 0.1, \"dropout_rate\": 0.25, \"attention_bias\": true, "
        + "\"attention_backend\": \"cudnn\"}");
    assertEquals(16, c.headDim());
    assertTrue(c.qkNorm() && c.attentionBias());
    assertFalse(c.causal());
    assertEquals(0.1, c.attentionDropout());
    assertEquals(0.25, c.hiddenDropout());
    assertEquals(Mechanism.CUDNN, c.attention());
    assertEquals(Mechanism.VANILLA, LlamaConfig.mechanismOf("xla"));
    assertEquals(Mechanism.BLOCKWISE, LlamaConfig.mechanismOf("pallas_triton"));
    assertEquals(Mechanism.CUDNN, Llama.Options.defaults().mechanism(c), "defaults run the config's backend");
    assertEquals(Mechanism.BLOCKWISE, Llama.Options.defaults().withAttention(Mechanism.BLOCKWISE).mechanism(c));

    // xlstm-jax's model-wide use_bias: attention and MLP
    LlamaConfig b = LlamaConfig.tiny().toBuilder().useBias(true).build();
    assertTrue(b.attentionBias() && b.mlpBias());
    assertEquals(c, c.toBuilder().build(), "toBuilder keeps every option");
  }

  @Test
  void qkNormAddsOneScalePerLayerAndSideWithHuggingFaceNames() {
    LlamaConfig plain = LlamaConfig.tiny();
    LlamaConfig c = plain.toBuilder().qkNorm(true).build();
    Tree<TensorType> p = c.parameterTypes();
    assertEquals(plain.parameterTypes().size() + 2 * 2, p.size());
    assertEquals(TensorType.of(DType.F32, 8), p.get("model/layers/1/self_attn/q_norm/scale"));
    assertEquals(TensorType.of(DType.F32, 8), p.get("model/layers/0/self_attn/k_norm/scale"));
    assertEquals("model.layers.1.self_attn.k_norm.weight",
        LlamaCheckpoint.nameOf("model/layers/1/self_attn/k_norm/scale"));
    CheckpointMap map = LlamaCheckpoint.map(c);
    for (String path : p.paths()) assertEquals(path, map.pathOf(LlamaCheckpoint.nameOf(path)).orElseThrow(), path);
  }

  @Test
  void badOptionsNameTheOption() {
    String m = assertThrows(IllegalArgumentException.class,
        () -> LlamaConfig.fromJson(BASE + "\"attention_backend\": \"flash\"}")).getMessage();
    assertTrue(m.contains("attention_backend 'flash'") && m.contains("pallas_triton"), m);
    m = assertThrows(IllegalArgumentException.class,
        () -> LlamaConfig.fromJson(BASE + "\"attention_dropout\": 1.0}")).getMessage();
    assertTrue(m.contains("attention_dropout in [0, 1)"), m);
    m = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(BASE + "\"dropout_rate\": -0.1}"))
        .getMessage();
    assertTrue(m.contains("dropout_rate in [0, 1)"), m);
    m = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(BASE + "\"causal\": \"yes\"}"))
        .getMessage();
    assertTrue(m.contains("'causal' must be true or false"), m);
    m = assertThrows(IllegalArgumentException.class, () -> LlamaConfig.fromJson(BASE + "\"qk_norm\": 1}"))
        .getMessage();
    assertTrue(m.contains("'qk_norm' must be true or false"), m);
    m = assertThrows(IllegalArgumentException.class,
        () -> LlamaConfig.tiny().toBuilder().attention(Mechanism.DECODE).build()).getMessage();
    assertTrue(m.contains("attention_backend") && m.contains("DECODE"), m);
  }

  @Test
  void badInputsNameTheInputAndTheCallSite() {
    LlamaConfig c = LlamaConfig.tiny().toBuilder().hiddenDropout(0.1).build();
    Graph g = new Graph("llama");
    Tree<Tensor> params = g.parameters(c.parameterTypes());
    Tensor tokens = g.parameter(DType.I32, 2, 8);
    Llama.Options train = Llama.Options.defaults().withTraining(true);

    OpException e = assertThrows(OpException.class, () -> Llama.forward(c, params, tokens, train, Llama.Inputs.NONE));
    assertTrue(e.getMessage().contains("requires a dropout key") && e.getMessage().contains("dropout_rate 0.1"),
        e.getMessage());
    assertTrue(e.getMessage().contains("LlamaAttentionOptionsConfigTest"), "names the caller: " + e.getMessage());

    Tensor key = Rng.key(g, 1);
    e = assertThrows(OpException.class, () -> Llama.forward(c, params, tokens, Llama.Options.defaults(),
        Llama.Inputs.NONE.withDropoutKey(key)));
    assertTrue(e.getMessage().contains("Options.training is false"), e.getMessage());

    e = assertThrows(OpException.class, () -> Llama.forward(c, params, tokens, train,
        Llama.Inputs.NONE.withDropoutKey(g.parameter(DType.U32, 2))));
    assertTrue(e.getMessage().contains("ui64[2] dropout key"), e.getMessage());

    e = assertThrows(OpException.class, () -> Llama.forward(c, params, tokens, Llama.Options.defaults(),
        Llama.Inputs.NONE.withSegmentIds(g.parameter(DType.I32, 2, 7))));
    assertTrue(e.getMessage().contains("segment_ids") && e.getMessage().contains("2x7"), e.getMessage());
    e = assertThrows(OpException.class, () -> Llama.forward(c, params, tokens, Llama.Options.defaults(),
        Llama.Inputs.NONE.withSegmentIds(g.parameter(DType.F32, 2, 8))));
    assertTrue(e.getMessage().contains("segment_ids of an integer type"), e.getMessage());

    // a good call builds: training key and segment ids as program arguments
    Tensor seg = g.parameter(DType.I32, 2, 8);
    Tensor logits = Llama.forward(c, params, tokens, train, Llama.Inputs.NONE.withSegmentIds(seg).withDropoutKey(key));
    assertEquals(TensorType.of(DType.F32, 2, 8, 64), logits.type());
  }
}
