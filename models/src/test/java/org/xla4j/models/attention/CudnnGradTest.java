package org.xla4j.models.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * CUDNN attention differentiated: the emitted StableHLO holds the training forward (O, f32 softmax
 * statistics [B, H, Sq], workspace) and {@code __cudnn$fmha…Backward} with the operands, results, layouts
 * and backend_config JAX's cuDNN lowering writes (parsed back with Gson into the typed records), wired
 * to each other (the backward reads the forward's statistics and transposed output). No GPU here: the
 * numbers are checked against BLOCKWISE on PJRT (tests' CudnnGradPjrtTest).
 */
class CudnnGradTest {
  private static final Gson GSON = new Gson();

  /** One printed {@code stablehlo.custom_call}: its result name, target, config, operands, types and layouts. */
  record Call(String name, String target, CudnnBackendConfig config, List<String> operands, List<String> operandTypes,
      List<String> resultTypes, List<List<Integer>> operandLayouts, List<List<Integer>> resultLayouts) {}

  @Test
  void gradEmitsTheTrainingForwardAndTheBackwardCall() {
    Graph g = new Graph("cudnn_grad");
    TensorType qt = TensorType.of(DType.BF16, 2, 16, 4, 8);
    TensorType kt = TensorType.of(DType.BF16, 2, 16, 2, 8); // GQA: 2 kv heads for 4 heads
    Tree<Tensor> p = Tree.of(Map.of("q", g.parameter(qt), "k", g.parameter(kt), "v", g.parameter(kt)));
    Tensor ct = g.parameter(TensorType.of(DType.F32, 2, 16, 4, 8));
    AttentionOptions o = AttentionOptions.builder().mechanism(Mechanism.CUDNN).causal(true).build();
    Tree<Tensor> grad = Autodiff.grad(t -> Attention.apply(o, t.get("q"), t.get("k"), t.get("v"))
        .astype(DType.F32).mul(ct).sum()).apply(p);
    // the cotangents flow back with the primals' types
    assertEquals(qt, grad.get("q").type());
    assertEquals(kt, grad.get("k").type());
    assertEquals(kt, grad.get("v").type());
    String text = StableHloPrinter.print(g.build(grad.get("q"), grad.get("k"), grad.get("v")), EmitOptions.unsharded());
    List<Call> calls = calls(text);
    assertEquals(2, calls.size(), text);
    Call fwd = calls.get(0);
    Call bwd = calls.get(1);

    assertEquals("__cudnn$fmhaSoftmax", fwd.target());
    assertEquals(List.of("tensor<2x16x4x8xbf16>", "tensor<2x16x2x8xbf16>", "tensor<2x16x2x8xbf16>"), fwd.operandTypes());
    assertEquals(List.of("tensor<2x4x16x8xbf16>", "tensor<2x4x16xf32>", "tensor<0xui8>"), fwd.resultTypes());
    assertEquals(List.of(List.of(3, 1, 2, 0), List.of(2, 1, 0), List.of(0)), fwd.resultLayouts());

    assertEquals("__cudnn$fmhaSoftmaxBackward", bwd.target());
    // q, k, v, softmax stats, dO, O
    assertEquals(List.of("tensor<2x16x4x8xbf16>", "tensor<2x16x2x8xbf16>", "tensor<2x16x2x8xbf16>", "tensor<2x4x16xf32>",
        "tensor<2x16x4x8xbf16>", "tensor<2x16x4x8xbf16>"), bwd.operandTypes());
    assertEquals(List.of(List.of(3, 2, 1, 0), List.of(3, 2, 1, 0), List.of(3, 2, 1, 0), List.of(2, 1, 0),
        List.of(3, 2, 1, 0), List.of(3, 2, 1, 0)), bwd.operandLayouts());
    // dq [B, H, Sq, D], dk and dv [B, Hkv, Sk, D], physically BTNH, and the workspace
    assertEquals(List.of("tensor<2x4x16x8xbf16>", "tensor<2x2x16x8xbf16>", "tensor<2x2x16x8xbf16>", "tensor<0xui8>"),
        bwd.resultTypes());
    assertEquals(List.of(List.of(3, 1, 2, 0), List.of(3, 1, 2, 0), List.of(3, 1, 2, 0), List.of(0)), bwd.resultLayouts());
    // wired: q, k, v are the forward's, the stats are its second result, O its first one transposed to BTNH
    assertEquals(fwd.operands(), bwd.operands().subList(0, 3));
    assertEquals(fwd.name() + "#1", bwd.operands().get(3));
    assertTrue(text.contains(bwd.operands().get(5) + " = \"stablehlo.transpose\"(" + fwd.name() + "#0) <{permutation = "
        + "array<i64: 0, 2, 1, 3>}>"), text);

    CudnnBackendConfig.Fmha f = fwd.config().fmha();
    CudnnBackendConfig.Fmha b = bwd.config().fmha();
    for (CudnnBackendConfig.Fmha x : List.of(f, b)) {
      assertEquals(1 / Math.sqrt(8), x.fmhaScale(), 1e-15);
      assertEquals("CAUSAL", x.maskType());
      assertEquals(List.of("2", "4", "16", "16"), x.intermediateTensorShape().dimensions());
      assertEquals("BF16", x.intermediateTensorShape().elementType());
      assertEquals(0.0, x.dropoutRate());
      assertTrue(x.isFlashAttention());
    }
    assertEquals(dims("3", "3", "0,2", "0,2"), f.bmm1());
    assertEquals(dims("3", "1", "0,1", "0,2"), f.bmm2());
    assertNull(f.bmm1GradGemm1());
    assertNull(b.bmm1());
    assertNull(b.bmm2());
    assertEquals(dims("2", "1", "0,1", "0,2"), b.bmm1GradGemm1()); // dP·Q -> dK
    assertEquals(dims("3", "1", "0,1", "0,2"), b.bmm1GradGemm2()); // dP·K -> dQ
    assertEquals(dims("2", "1", "0,1", "0,2"), b.bmm2GradGemm1()); // P·dO -> dV
    assertEquals(dims("3", "3", "0,2", "0,2"), b.bmm2GradGemm2()); // dO·V -> dP
  }

  @Test
  void biasTakesTheScaleBiasTargetsWithTheBiasBeforeTheOutput() {
    Graph g = new Graph("cudnn_grad_bias");
    TensorType qt = TensorType.of(DType.F16, 1, 8, 2, 16);
    Tree<Tensor> p = Tree.of(Map.of("q", g.parameter(qt), "k", g.parameter(qt), "v", g.parameter(qt)));
    Tensor bias = g.parameter(DType.F32, 2, 8, 8); // [H, Sq, Sk]
    AttentionOptions o = AttentionOptions.builder().mechanism(Mechanism.CUDNN).attnOutputMultiplier(0.5).softmaxScale(0.25).build();
    Tree<Tensor> grad = Autodiff.grad(t -> Attention.apply(o, t.get("q"), t.get("k"), t.get("v"),
        AttentionInputs.none().withBias(bias)).astype(DType.F32).sum()).apply(p);
    for (String n : List.of("q", "k", "v")) assertEquals(qt, grad.get(n).type(), n);
    String text = StableHloPrinter.print(g.build(grad.get("q"), grad.get("k"), grad.get("v")), EmitOptions.unsharded());
    List<Call> calls = calls(text);
    assertEquals(List.of("__cudnn$fmhaScaleBiasSoftmax", "__cudnn$fmhaScaleBiasSoftmaxBackward"),
        calls.stream().map(Call::target).toList());
    Call fwd = calls.get(0);
    Call bwd = calls.get(1);
    assertEquals("tensor<1x2x8x8xf16>", fwd.operandTypes().get(3));
    assertEquals(List.of("tensor<1x2x8x16xf16>", "tensor<1x2x8xf32>", "tensor<0xui8>"), fwd.resultTypes());
    // q, k, v, stats, dO, bias, O; the bias is the forward's own operand; no dbias result
    assertEquals(List.of("tensor<1x8x2x16xf16>", "tensor<1x8x2x16xf16>", "tensor<1x8x2x16xf16>", "tensor<1x2x8xf32>",
        "tensor<1x8x2x16xf16>", "tensor<1x2x8x8xf16>", "tensor<1x8x2x16xf16>"), bwd.operandTypes());
    assertEquals(fwd.operands().get(3), bwd.operands().get(5));
    assertEquals(List.of("tensor<1x2x8x16xf16>", "tensor<1x2x8x16xf16>", "tensor<1x2x8x16xf16>", "tensor<0xui8>"),
        bwd.resultTypes());
    CudnnBackendConfig.Fmha b = bwd.config().fmha();
    assertEquals("NO_MASK", b.maskType());
    assertEquals(0.25, b.fmhaScale());
    assertEquals("F16", b.intermediateTensorShape().elementType());
  }

  @Test
  void biasWithAnOddLengthIsRefusedOnlyWhenDifferentiated() {
    Graph g = new Graph("cudnn_odd");
    TensorType qt = TensorType.of(DType.BF16, 1, 7, 2, 8);
    Tree<Tensor> p = Tree.of(Map.of("q", g.parameter(qt), "k", g.parameter(qt), "v", g.parameter(qt)));
    Tensor bias = g.parameter(DType.F32, 7, 7);
    AttentionOptions o = AttentionOptions.builder().mechanism(Mechanism.CUDNN).build();
    AttentionInputs in = AttentionInputs.none().withBias(bias);
    // the inference forward takes it
    assertEquals(qt, Attention.apply(o, p.get("q"), p.get("k"), p.get("v"), in).type());
    RuntimeException e = assertThrows(RuntimeException.class, () -> Autodiff.grad(t -> Attention.apply(o, t.get("q"),
        t.get("k"), t.get("v"), in).astype(DType.F32).sum()).apply(p));
    assertTrue(e.getMessage().contains("even query and key lengths with a bias when differentiated, got Sq 7, Sk 7"),
        e.getMessage());
    assertTrue(e.getMessage().contains("VANILLA or BLOCKWISE"), e.getMessage());
  }

  @Test
  void notDifferentiatedEmitsTheInferenceCallOnly() {
    Graph g = new Graph("cudnn_inf");
    Tensor q = g.parameter(DType.BF16, 1, 16, 2, 8);
    Tensor out = Attention.apply(AttentionOptions.builder().mechanism(Mechanism.CUDNN).build(), q, q, q);
    List<Call> calls = calls(StableHloPrinter.print(g.build(out), EmitOptions.unsharded()));
    assertEquals(1, calls.size());
    assertEquals(List.of("tensor<1x2x16x8xbf16>", "tensor<0xui8>"), calls.get(0).resultTypes());
  }

  private static CudnnBackendConfig.DotDims dims(String lc, String rc, String lb, String rb) {
    return new CudnnBackendConfig.DotDims(List.of(lc), List.of(rc), List.of(lb.split(",")), List.of(rb.split(",")));
  }

  private static final Pattern CALL = Pattern.compile("(%\\w+)(?::\\d+)? = \"stablehlo.custom_call\"\\(([^)]*)\\)");
  // possessive runs: a plain (a|b)* recurses once per character and overflows the stack on a long config
  private static final Pattern CONFIG = Pattern.compile("backend_config = \"((?:[^\"\\\\]++|\\\\.)*+)\"");
  private static final Pattern TARGET = Pattern.compile("call_target_name = \"([^\"]+)\"");
  private static final Pattern SIGNATURE = Pattern.compile("}> : \\(([^)]*)\\) -> \\(([^)]*)\\)$");
  private static final Pattern LAYOUT = Pattern.compile("dense<\\[([0-9, ]*)\\]>");

  static List<Call> calls(String text) {
    List<Call> out = new ArrayList<>();
    for (String line : text.lines().map(String::trim).toList()) {
      Matcher c = CALL.matcher(line);
      if (!c.lookingAt()) continue;
      Matcher cfg = CONFIG.matcher(line);
      Matcher tgt = TARGET.matcher(line);
      Matcher sig = SIGNATURE.matcher(line);
      assertTrue(cfg.find() && tgt.find() && sig.find(), line);
      String json = cfg.group(1).replaceAll("\\\\(.)", "$1");
      int ol = line.indexOf("operand_layouts = [");
      int rl = line.indexOf("result_layouts = [");
      out.add(new Call(c.group(1), tgt.group(1), GSON.fromJson(json, CudnnBackendConfig.class), split(c.group(2)),
          split(sig.group(1)), split(sig.group(2)), layouts(line.substring(ol, rl)), layouts(line.substring(rl))));
    }
    return out;
  }

  private static List<String> split(String s) { return Arrays.stream(s.split(", ")).toList(); }

  private static List<List<Integer>> layouts(String s) {
    List<List<Integer>> l = new ArrayList<>();
    Matcher m = LAYOUT.matcher(s);
    while (m.find()) l.add(Arrays.stream(m.group(1).split(", ")).map(Integer::valueOf).toList());
    return l;
  }
}
