package org.xla4j.models.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Rng;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.ir.OpException;
import org.xla4j.types.DType;

/** Validation once at the entry point: messages name the shapes and point at the caller; CUDNN's emitted text. */
class AttentionValidationTest {
  private static OpException fails(Runnable r) { return assertThrows(OpException.class, r::run); }

  private static void has(OpException e, String... parts) {
    for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should contain '" + p + "'");
    assertTrue(e.getMessage().contains("AttentionValidationTest.java"), "points at the caller: " + e.getMessage());
  }

  @Test
  void shapeErrorsNameTheShapes() {
    Graph g = new Graph("v");
    Tensor q = g.parameter(DType.F32, 2, 8, 6, 16);
    Tensor k = g.parameter(DType.F32, 2, 8, 4, 16);
    Tensor k3 = g.parameter(DType.F32, 2, 8, 16);
    has(fails(() -> Attention.apply(AttentionOptions.defaults(), q, k, k)), "attention:", "kv heads dividing query heads",
        "tensor<2x8x6x16xf32>", "tensor<2x8x4x16xf32>");
    has(fails(() -> Attention.apply(AttentionOptions.defaults(), q, k3, k3)), "rank-4", "BTNH");
    Tensor k2 = g.parameter(DType.F32, 2, 8, 2, 16);
    has(fails(() -> Attention.apply(AttentionOptions.builder().numHeads(8).build(), q, k2, k2)), "numHeads 8");
    Tensor badMask = g.parameter(DType.PRED, 2, 7);
    has(fails(() -> Attention.apply(AttentionOptions.defaults(), q, k2, k2, AttentionInputs.none().withMask(badMask))),
        "padding mask", "[2, 8]", "tensor<2x7xi1>");
    Tensor badBias = g.parameter(DType.F32, 3, 6, 8, 8);
    has(fails(() -> Attention.apply(AttentionOptions.defaults(), q, k2, k2, AttentionInputs.none().withBias(badBias))),
        "bias broadcastable to [B, H, Sq, Sk]", "tensor<3x6x8x8xf32>");
    Tensor seg = g.parameter(DType.I32, 2, 9);
    has(fails(() -> Attention.apply(AttentionOptions.defaults(), q, k2, k2, AttentionInputs.none().withSegmentIds(seg))),
        "qSegmentIds", "[2, 8]");
  }

  @Test
  void optionErrors() {
    Graph g = new Graph("v");
    Tensor q = g.parameter(DType.F32, 1, 4, 2, 8);
    has(fails(() -> Attention.apply(AttentionOptions.builder().dropout(0.1).build(), q, q, q)), "dropoutKey");
    Tensor badKey = g.parameter(DType.U32, 2);
    has(fails(() -> Attention.apply(AttentionOptions.builder().dropout(0.1).build(), q, q, q,
        AttentionInputs.none().withDropoutKey(badKey))), "ui64[2]");
    has(fails(() -> Attention.apply(AttentionOptions.builder().dropout(1.0).build(), q, q, q)), "[0, 1)");
    has(fails(() -> Attention.apply(AttentionOptions.builder().mechanism(Mechanism.BLOCKWISE).returnWeights(true).build(),
        q, q, q)), "returnWeights requires mechanism VANILLA");
    has(fails(() -> Attention.apply(AttentionOptions.builder().mechanism(Mechanism.RING).build(), q, q, q)),
        "RING", "VANILLA, BLOCKWISE or DECODE");
    has(fails(() -> Attention.apply(AttentionOptions.builder().mechanism(Mechanism.DECODE).build(), q, q, q)), "KVMemory");
    KVMemory perRow = new KVMemory(g.zeros(DType.F32, 1, 16, 2, 8), g.zeros(DType.F32, 1, 16, 2, 8),
        g.zeros(DType.I32, 1));
    has(fails(() -> Attention.apply(AttentionOptions.builder().mechanism(Mechanism.DECODE).build(), q, q, q,
        AttentionInputs.none().withMemory(perRow))), "per-row KVMemory step [1] requires one new token per call, got 4");
    KVMemory small = KVMemory.empty(g, DType.F32, 1, 16, 2, 4);
    has(fails(() -> Attention.apply(AttentionOptions.builder().mechanism(Mechanism.DECODE).build(), q, q, q,
        AttentionInputs.none().withMemory(small))), "KVMemory of k f32[1, 16, 2, 8]", "tensor<1x16x2x4xf32>");
    Graph other = new Graph("other");
    Tensor foreign = other.parameter(DType.PRED, 1, 4);
    has(fails(() -> Attention.apply(AttentionOptions.defaults(), q, q, q, AttentionInputs.none().withMask(foreign))),
        "requires inputs of q's Graph", "Graph(other)");
    Tensor q8 = g.parameter(DType.BF16, 1, 8, 2, 8);
    Tensor k4 = g.parameter(DType.BF16, 1, 4, 2, 8);
    has(fails(() -> Attention.apply(AttentionOptions.builder().mechanism(Mechanism.CUDNN).causal(true).build(), q8, k4,
        k4)), "Sq 8, Sk 4");
    // deterministic needs no key
    Attention.apply(AttentionOptions.builder().dropout(0.5).deterministic(true).build(), q, q, q);
    Attention.apply(AttentionOptions.builder().dropout(0.5).build(), q, q, q,
        AttentionInputs.none().withDropoutKey(Rng.key(g, 0)));
  }

  @Test
  void cudnnOnCpuNamesTheAlternatives() {
    Graph g = new Graph("v");
    Tensor q = g.parameter(DType.BF16, 1, 4, 2, 8);
    OpException e = fails(() -> Attention.apply(
        AttentionOptions.builder().mechanism(Mechanism.CUDNN).platform("cpu").build(), q, q, q));
    has(e, "CUDNN cannot run on platform 'cpu'", "[VANILLA, BLOCKWISE, DECODE]");
    assertEquals(List.of(Mechanism.VANILLA, Mechanism.BLOCKWISE, Mechanism.CUDNN, Mechanism.DECODE),
        Attention.supportedOn("cuda"));
    Tensor f = g.parameter(DType.F32, 1, 4, 2, 8);
    has(fails(() -> Attention.apply(AttentionOptions.builder().mechanism(Mechanism.CUDNN).build(), f, f, f)),
        "bf16 or f16", "VANILLA or BLOCKWISE");
  }

  @Test
  void cudnnEmitsTheFusedAttentionCustomCall() {
    Graph g = new Graph("cudnn");
    Tensor q = g.parameter(DType.BF16, 2, 128, 8, 64);
    Tensor k = g.parameter(DType.BF16, 2, 128, 2, 64);
    Tensor out = Attention.apply(AttentionOptions.builder().mechanism(Mechanism.CUDNN).causal(true).build(), q, k, k);
    assertEquals(q.type(), out.type());
    String text = StableHloPrinter.print(g.build(out), EmitOptions.unsharded());
    for (String s : List.of("\"stablehlo.custom_call\"", "call_target_name = \"__cudnn$fmhaSoftmax\"",
        "api_version = 2 : i32", "result_layouts = [dense<[3, 1, 2, 0]>", "\\\"mask_type\\\":\\\"CAUSAL\\\"",
        "\\\"fmha_scale\\\":0.125,", "tensor<2x8x128x64xbf16>", "tensor<0xui8>",
        "\"stablehlo.transpose\"")) {
      assertTrue(text.contains(s), "emitted text should contain " + s + ":\n" + text);
    }
  }

  @Test
  void customKernelGetsTheNormalizedProblem() {
    Graph g = new Graph("custom");
    Tensor q = g.parameter(DType.F32, 1, 4, 4, 8);
    Tensor k = g.parameter(DType.F32, 1, 6, 2, 8);
    Tensor out = Attention.apply(AttentionOptions.builder().custom(p -> {
      assertEquals(2, p.groups());
      assertEquals(6, p.keyLength());
      return p.q();
    }).build(), q, k, k);
    assertEquals(q.type(), out.type());
  }
}
