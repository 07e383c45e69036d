package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xla4j.cli.MoeBench.Settings;
import org.xla4j.cli.MoeBench.Toggle;
import org.xla4j.cli.MoeBench.Variant;
import org.xla4j.cli.MoeBench.Weights;
import org.xla4j.cli.MoeBenchPrograms.Shape;
import org.xla4j.models.moe.FewTokensForm;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.runtime.Platform;

/** What `bench moe --impl all` compiles on a GPU (the device round's variant list, its XLA flags) and on the CPU. */
class MoeBenchVariantsTest {
  private static Settings settings(long tokens, List<String> impls, List<Weights> weights) {
    return new Settings(new Shape(tokens, 6144, 32768, 8, 2), impls, List.of(1.0, 2.0), List.of(0, 512), Toggle.BOTH,
        Toggle.BOTH, List.of(MoeBenchForm.GATHER, MoeBenchForm.SLICE, MoeBenchForm.SLICE_LOOP, MoeBenchForm.REDUCE), weights, Map.of("xla_gpu_autotune_level", "0"), 0, 0, 1, 1);
  }

  @Test
  void decodeOnAGpuRunsEveryFormWithAndWithoutTheFusions() {
    List<Variant> vs = MoeBench.variants(settings(1, List.of("all"), List.of(Weights.BF16)), Platform.CUDA, "cuda");
    List<String> labels = vs.stream().map(Variant::label).toList();
    assertEquals(List.of("dense",
        "dropless ragged_dot, cuDNN fusion off", "dropless ragged_dot, cuDNN fusion on",
        "dropless tiled, dynamic-slice fusion off", "dropless tiled, dynamic-slice fusion on",
        "dropless tiled, tile 512, dynamic-slice fusion off", "dropless tiled, tile 512, dynamic-slice fusion on",
        "capacity cf 1.00", "capacity cf 2.00", "capacity-checked cf 1.00", "capacity-checked cf 2.00",
        "few-tokens gather",
        "few-tokens slice, dynamic-slice fusion off", "few-tokens slice, dynamic-slice fusion on",
        "few-tokens slice-loop, dynamic-slice fusion off", "few-tokens slice-loop, dynamic-slice fusion on",
        "few-tokens reduce",
        "auto (few-tokens reduce)"), labels);
    Variant ragged = vs.get(2);
    assertTrue(ragged.options().raggedDot());
    assertEquals(Map.of("xla_gpu_autotune_level", "0", MoeBench.RAGGED_FUSION, "true"), ragged.debug());
    assertEquals("false", vs.get(12).debug().get(MoeBench.SLICE_FUSION));
    assertEquals(FewTokensForm.SLICE_LOOP, vs.get(15).options().fewTokens());
    assertEquals(512, vs.get(5).options().tileSize());
    assertEquals(FewTokensForm.REDUCE, vs.get(16).options().fewTokens());
    assertEquals(Map.of("xla_gpu_autotune_level", "0"), vs.get(16).debug());
    assertEquals(MoeImplementation.AUTO, vs.get(17).options().implementation());
    assertEquals("cuda", vs.get(17).options().platform());
  }

  /** The two bench-only T1 experiments: gather with the dynamic-slice fusion flag, reduce over contraction-minor weights. */
  @Test
  void benchOnlyFewTokensFormsCarryTheirFlagAndLayout() {
    Settings s = new Settings(new Shape(1, 6144, 32768, 8, 2), List.of("few-tokens"), List.of(1.25), List.of(0),
        Toggle.OFF, Toggle.OFF, List.of(MoeBenchForm.GATHER_SLICE_FUSION, MoeBenchForm.REDUCE_MINOR, MoeBenchForm.REDUCE),
        List.of(Weights.BF16), Map.of(), 0, 0, 1, 1);
    List<Variant> vs = MoeBench.variants(s, Platform.CUDA, "cuda");
    assertEquals(List.of("few-tokens gather-slice-fusion", "few-tokens reduce-minor", "few-tokens reduce"),
        vs.stream().map(Variant::label).toList());
    assertEquals(Map.of(MoeBench.SLICE_FUSION, "true"), vs.get(0).debug());
    assertEquals(FewTokensForm.GATHER, vs.get(0).options().fewTokens());
    assertTrue(!vs.get(0).minorLayout() && vs.get(1).minorLayout() && !vs.get(2).minorLayout());
    assertEquals(FewTokensForm.REDUCE, vs.get(1).options().fewTokens());
  }

  @Test
  void prefillLeavesFewTokensOutAndTheCpuHasNoGpuFlags() {
    List<Variant> gpu = MoeBench.variants(settings(8192, List.of("all"), List.of(Weights.BF16)), Platform.CUDA, "cuda");
    assertTrue(gpu.stream().noneMatch(v -> v.impl().equals("few-tokens")), gpu.toString());
    // the label names AUTO's pick: 8192 tokens are 2048 copies per expert (tile 1024), 2048 tokens 512 (tile 512)
    assertEquals("auto (capacity-checked, fallback dropless tile 1024)", gpu.get(gpu.size() - 1).label());
    List<Variant> t2048 = MoeBench.variants(settings(2048, List.of("auto"), List.of(Weights.BF16)), Platform.CUDA, "cuda");
    assertEquals(List.of("auto (capacity-checked, fallback dropless tile 512)"), t2048.stream().map(Variant::label).toList());
    // T 32 at Grok-1's layer: 64 copies run, but not the gather form (a 77 GB copy of weights), nor reduce (T > 4)
    List<Variant> t32 = MoeBench.variants(settings(32, List.of("all"), List.of(Weights.BF16)), Platform.CUDA, "cuda");
    assertEquals(4, t32.stream().filter(v -> v.impl().equals("few-tokens")).count(), t32.toString());
    assertTrue(t32.stream().noneMatch(v -> v.label().contains("gather") || v.label().contains("reduce")), t32.toString());
    // asked for by name (not 'all'), every form runs, reduce included
    List<Variant> cpu = MoeBench.variants(settings(1, List.of("few-tokens", "dropless", "dense"),
        List.of(Weights.BF16, Weights.INT8_SCALE_AFTER)), Platform.CPU, "cpu");
    // the order asked for, DENSE moved first (the reference), per weights kind
    assertEquals(List.of("dense", "few-tokens gather", "few-tokens slice", "few-tokens slice-loop", "few-tokens reduce",
        "dropless (tiled; no ragged_dot on this CPU XLA)", "dropless (tiled, tile 512; no ragged_dot on this CPU XLA)",
        "dense [int8-scale-after]", "few-tokens gather [int8-scale-after]", "few-tokens slice [int8-scale-after]",
        "few-tokens slice-loop [int8-scale-after]", "few-tokens reduce [int8-scale-after]", "dropless (tiled; no ragged_dot on this CPU XLA) [int8-scale-after]",
        "dropless (tiled, tile 512; no ragged_dot on this CPU XLA) [int8-scale-after]"), cpu.stream().map(Variant::label).toList());
    assertTrue(cpu.stream().allMatch(v -> v.debug().equals(Map.of("xla_gpu_autotune_level", "0"))));
    assertTrue(cpu.stream().noneMatch(v -> v.options().raggedDot()));
  }
}
