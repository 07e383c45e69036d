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
  void otherSizesFindNothing() {
    assertEquals(List.of(), HloWeightBuffers.find(HLO, 64, 100));
  }
}
