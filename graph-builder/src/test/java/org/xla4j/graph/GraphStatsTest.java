package org.xla4j.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Peak-live estimate, collectives, the optimized-HLO summary and the diff's compiled section, on texts worked out by hand. */
class GraphStatsTest {
  private static String module(String body) {
    return "module @m {\n  func.func public @main(%arg0: tensor<2x3xf32>) -> (tensor<2x3xf32>) {\n" + body
        + "  }\n}\n";
  }

  private static String exp(int id, String in) {
    return "    %" + id + " = \"stablehlo.exponential\"(" + in + ") : (tensor<2x3xf32>) -> tensor<2x3xf32>\n";
  }

  @Test
  void peakLiveFreesAValueAfterItsLastUse() {
    // A chain: each 24-byte value dies when the next is made, so at most two are live at once.
    OpGraph chain = OpGraph.read(module(exp(0, "%arg0") + exp(1, "%0") + exp(2, "%1") + exp(3, "%2")
        + "    \"func.return\"(%3) : (tensor<2x3xf32>) -> ()\n"));
    assertEquals(48, chain.peakLiveBytes());
    // %0 is read again by the add, so %0, %1 and %2 are live together: 72.
    OpGraph fan = OpGraph.read(module(exp(0, "%arg0") + exp(1, "%0")
        + "    %2 = \"stablehlo.add\"(%0, %1) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>\n"
        + "    \"func.return\"(%2) : (tensor<2x3xf32>) -> ()\n"));
    assertEquals(72, fan.peakLiveBytes());
  }

  @Test
  void collectivesOfTheStableHloCountOperandBytes() {
    OpGraph g = OpGraph.read(module(
        "    %0 = \"stablehlo.all_gather\"(%arg0) <{all_gather_dim = 0 : i64}> : (tensor<2x3xf32>) -> tensor<4x3xf32>\n"
        + "    \"func.return\"(%0) : (tensor<4x3xf32>) -> ()\n"));
    assertArrayEquals(new long[] {1, 24}, g.collectives().get("all_gather"));
  }

  static final String HLO = """
      HloModule jit_f, entry_computation_layout={(f32[8,16]{1,0})->f32[8,16]{1,0}}

      %fused_computation (param_0: f32[8,16]) -> f32[8,16] {
        %param_0 = f32[8,16]{1,0} parameter(0)
        ROOT %tanh.1 = f32[8,16]{1,0} tanh(f32[8,16]{1,0} %param_0)
      }

      ENTRY %main.9 (Arg_0.1: f32[8,16]) -> f32[8,16] {
        %Arg_0.1 = f32[8,16]{1,0} parameter(0)
        %custom-call.2 = bf16[8,16]{1,0} custom-call(f32[8,16]{1,0} %Arg_0.1), custom_call_target="__cublas$gemm"
        %all-reduce-start = (f32[8,16]{1,0}, f32[8,16]{1,0}) all-reduce-start(f32[8,16]{1,0} %Arg_0.1), replica_groups={}
        %all-gather = bf16[16,16]{1,0} all-gather(bf16[8,16]{1,0} %custom-call.2), dimensions={0}
        ROOT %loop_tanh_fusion = f32[8,16]{1,0} fusion(f32[8,16]{1,0} %Arg_0.1), kind=kLoop, calls=%fused_computation, metadata={op_name="layer0/mlp/tanh" source_file="/src/Model.java" source_line=42}
      }
      """;

  @Test
  void optimizedHloSummaryFindsFusionsCustomCallsAndCollectives() {
    HloSummary s = HloSummary.read(HLO);
    assertEquals(7, s.instructions()); // 2 in the fused computation, 5 in the entry
    assertEquals(List.of(new HloSummary.Fusion("loop_tanh_fusion", "kLoop", "layer0/mlp/tanh", "/src/Model.java", 42)),
        s.fusions());
    assertEquals(Map.of("kLoop", 1), s.fusionsByKind());
    assertEquals(Map.of("__cublas$gemm", 1), s.customCalls());
    assertArrayEquals(new long[] {1, 8 * 16 * 4}, s.collectives().get("all-reduce")); // the start's largest array
    assertArrayEquals(new long[] {1, 16 * 16 * 2}, s.collectives().get("all-gather"));
    assertEquals(8 * 16 * 4 + 16 * 16 * 2, s.collectiveBytes());
    assertEquals(1, s.fusionsAt("Model.java", 42).size());
    assertEquals(0, s.fusionsAt("Model.java", 43).size());
  }

  @Test
  void diffShowsTheCompiledSideWhereKnownAndADashWhereNot() {
    OpGraph g = OpGraph.read(module(exp(0, "%arg0") + "    \"func.return\"(%0) : (tensor<2x3xf32>) -> ()\n"));
    String d = GraphDiff.text(new GraphDiff.Side(g, Optional.of(HloSummary.read(HLO)), OptionalLong.of(4096)),
        GraphDiff.Side.of(g));
    assertTrue(d.matches("(?s).*XLA temp bytes\\s+4096\\s+-\\s+-.*"), d);
    assertTrue(d.matches("(?s).*fusions\\s+1\\s+-\\s+-.*"), d);
    assertTrue(d.matches("(?s).*peak live bytes \\(estimate, unfused\\)\\s+24\\s+24\\s+\\+0.*"), d);
    assertTrue(d.contains("custom call __cublas$gemm"), d);
  }
}
