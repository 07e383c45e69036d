package org.xla4j.models.grok;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.ir.OpException;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/** Grok-1's sizes, constants and parameter paths; the forward pass's input checks. No backend. */
class Grok1ConfigTest {
  @Test
  void fullPresetHasGrok1sSizesAndConstants() {
    Grok1Config c = Grok1Config.full();
    assertEquals(32768, c.ffnSize());
    assertEquals(78.38367176906169, c.embeddingMultiplier(), 1e-12);
    assertEquals(0.5773502691896257, c.outputMultiplier(), 1e-15);
    assertEquals(0.08838834764831845, c.attnOutputMultiplier(), 1e-15);
    Tree<TensorType> p = c.parameterTypes();
    assertEquals(2 + 64 * 12, p.size());
    long n = 0;
    for (TensorType t : p.leaves()) n += t.numElements();
    // 314B: 64 layers x (attention 6144·(6144+1024+1024) + 6144·6144, router, 3 x 8 x 6144 x 32768, 4 norms) + embeddings
    long layer = 6144L * 8192 + 6144L * 6144 + 6144L * 8 + 3L * 8 * 6144 * 32768 + 4 * 6144;
    assertEquals(64 * layer + 131072L * 6144 + 6144, n);
    assertTrue(n > 314e9 && n < 317e9, "parameters " + n);
    assertEquals(TensorType.of(DType.BF16, 8, 6144, 32768), p.get("transformer/decoder_layer_63/moe/linear/w"));
    assertEquals(TensorType.of(DType.F32, 6144, 8), p.get("transformer/decoder_layer_0/router/w"));
    assertEquals(TensorType.of(DType.F32, 131072, 6144), p.get("language_model/in_out_embed/embeddings"));
    // JAX flatten order: decoder_layer_10 before decoder_layer_2, language_model before transformer
    assertEquals("language_model/in_out_embed/embeddings", p.paths().get(0));
    assertTrue(p.indexOf("transformer/decoder_layer_10/router/w") < p.indexOf("transformer/decoder_layer_2/router/w"));
  }

  @Test
  void int8AddsScalesPerOutputChannelOrPerBlockOfEight() {
    Tree<TensorType> p = Grok1Config.full().withWeightFormat(WeightFormat.INT8).parameterTypes();
    String l = "transformer/decoder_layer_0/";
    assertEquals(TensorType.of(DType.I8, 6144, 6144), p.get(l + "multi_head_attention/query/w"));
    assertEquals(TensorType.of(DType.BF16, 1, 6144), p.get(l + "multi_head_attention/query/scales"));
    assertEquals(TensorType.of(DType.BF16, 8, 6144), p.get(l + "multi_head_attention/linear/scales"));
    assertEquals(TensorType.of(DType.BF16, 8, 1, 32768), p.get(l + "moe/linear_v/scales"));
    assertEquals(TensorType.of(DType.BF16, 8, 8, 6144), p.get(l + "moe/linear_1/scales"));
    assertEquals(TensorType.of(DType.F32, 6144, 8), p.get(l + "router/w"));
  }

  @Test
  void fullProgramEmits() {
    long t0 = System.nanoTime();
    Graph g = new Graph("grok1");
    Grok1.Output out = Grok1.build(g, Grok1Config.full(), 1, 8, Grok1.Options.defaults());
    String text = StableHloPrinter.print(g.build(out.logits()), EmitOptions.unsharded());
    System.out.printf("grok-1 full (64 layers, B1 T8): emitted %d chars in %.2f s%n", text.length(),
        (System.nanoTime() - t0) / 1e9);
    assertTrue(text.contains("tensor<1x8x131072xf32>"), "f32 logits [1, 8, vocab]");
  }

  @Test
  void badInputsNameWhatIsWrong() {
    Grok1Config c = Grok1Config.tiny();
    Graph g = new Graph("bad");
    Tree<Tensor> params = g.parameters(c.parameterTypes());
    Tensor tokens = g.parameter(DType.I32, 1, 4);
    OpException missing = assertThrows(OpException.class, () -> Grok1.forward(c,
        params.filter(p -> !p.endsWith("router/w")), tokens, Grok1.Options.defaults()));
    assertTrue(missing.getMessage().contains("router/w"), missing.getMessage());
    Tree<Tensor> wrong = params.with("language_model/rms_norm/scale", g.parameter(DType.F32, 3));
    OpException type = assertThrows(OpException.class, () -> Grok1.forward(c, wrong, tokens, Grok1.Options.defaults()));
    assertTrue(type.getMessage().contains("language_model/rms_norm/scale"), type.getMessage());
    OpException floats = assertThrows(OpException.class,
        () -> Grok1.forward(c, params, g.parameter(DType.F32, 1, 4), Grok1.Options.defaults()));
    assertTrue(floats.getMessage().contains("integer tokens"), floats.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Grok1Config.builder().heads(6, 4).build());
  }
}
