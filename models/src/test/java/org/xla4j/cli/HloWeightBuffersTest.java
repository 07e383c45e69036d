package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Weight-shaped buffers written outside fusion bodies are found; fused ones, views and other shapes are not. */
class HloWeightBuffersTest {
  // The shape of XLA's optimized HLO text (both with and without the % sigils).
  static final String HLO = """
      HloModule moe_few_tokens, entry_computation_layout={(bf16[1,64]{1,0})->bf16[1,64]{1,0}}

      %fused_gather (param_0.1: bf16[8,64,96], param_1.2: s32[2]) -> bf16[2,64,96] {
        %param_0.1 = bf16[8,64,96]{2,1,0} parameter(0)
        %gather.9 = bf16[2,64,96]{2,1,0} gather(bf16[8,64,96]{2,1,0} %param_0.1, s32[2]{0} %param_1.2), offset_dims={1,2}
      }

      fused_dot (p0: bf16[2,64,96]) -> bf16[2,1,96] {
        p0 = bf16[2,64,96]{2,1,0} parameter(0)
        copy.1 = bf16[2,96,64]{2,1,0} copy(p0)
      }

      ENTRY %main.12 (Arg_0.1: bf16[1,64], Arg_1.2: bf16[8,64,96]) -> bf16[1,64] {
        %Arg_1.2 = bf16[8,64,96]{2,1,0} parameter(1)
        %bitcast.3 = bf16[8,6144]{1,0} bitcast(bf16[8,64,96]{2,1,0} %Arg_1.2)
        %input_gather_fusion = bf16[2,64,96]{2,1,0} fusion(bf16[8,64,96]{2,1,0} %Arg_1.2, s32[2]{0} %ids), kind=kLoop, calls=%fused_gather
        dot_fusion = bf16[2,1,96]{2,1,0} fusion(%input_gather_fusion), kind=kCustom, calls=fused_dot
        %dynamic-slice.4 = bf16[1,64,96]{2,1,0} dynamic-slice(bf16[8,64,96]{2,1,0} %Arg_1.2, s32[] %i, s32[] %z, s32[] %z), dynamic_slice_sizes={1,64,96}
        ROOT %small = bf16[1,64]{1,0} add(bf16[1,64]{1,0} %a, bf16[1,64]{1,0} %b)
      }
      """;

  @Test
  void findsTopLevelWeightShapedWrites() {
    List<String> found = HloWeightBuffers.find(HLO, 64, 96);
    assertEquals(2, found.size(), found.toString());
    assertTrue(found.get(0).startsWith("input_gather_fusion = bf16[2,64,96] fusion (in main.12)"), found.get(0));
    assertTrue(found.get(1).startsWith("dynamic-slice.4 = bf16[1,64,96] dynamic-slice"), found.get(1));
  }

  @Test
  void weightsSplitIntoScaleBlocksCountAndActivationsDoNot() {
    assertTrue(HloWeightBuffers.weightShaped(new long[] {8, 4096, 6144}, 6144, 32768), "[8, F/8, D]");
    assertTrue(HloWeightBuffers.weightShaped(new long[] {2, 6144, 32768}, 6144, 32768), "[2, D, F]");
    assertTrue(HloWeightBuffers.weightShaped(new long[] {2, 32768, 8, 768}, 6144, 32768), "[2, F, 8, D/8]");
    assertTrue(!HloWeightBuffers.weightShaped(new long[] {4096, 8, 32768}, 6144, 32768), "[T, E, F]: no run is D");
    assertTrue(!HloWeightBuffers.weightShaped(new long[] {6144, 7, 32768}, 6144, 32768), "D and F not adjacent");
    assertTrue(!HloWeightBuffers.weightShaped(new long[] {1, 6144}, 6144, 32768), "[1, D]");
    assertTrue(!HloWeightBuffers.weightShaped(new long[] {1L << 40, 1L << 40, 6144}, 6144, 32768), "no overflow");
    // linear_1 [F, D] converted to f32 in its 8 scale blocks, [8, F/8, D], written by a top-level fusion
    String blocked = HLO.replace("ROOT %small", "%convert_fusion = f32[8,12,64]{2,1,0} fusion(s8[8,12,64]{2,1,0} %w),"
        + " kind=kLoop, calls=%fused_gather\n        ROOT %small");
    List<String> found = HloWeightBuffers.find(blocked, 64, 96);
    assertEquals(3, found.size(), found.toString());
    assertTrue(found.get(2).startsWith("convert_fusion = f32[8,12,64] fusion"), found.get(2));
  }

  @Test
  void otherSizesFindNothing() {
    assertEquals(List.of(), HloWeightBuffers.find(HLO, 64, 100));
  }
}
