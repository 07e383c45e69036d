package org.xla4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.runtime.SafetensorsReader;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/** Name maps as data: paths, torch [out, in] transposes and per-expert stacks, against plain-loop oracles. */
class CheckpointMapTest {
  @TempDir Path dir;

  static final int OUT = 2, IN = 3, E = 3;

  /** Expert e's torch weight [OUT, IN]: value 100 e + 10 o + i, exact in f32 and bf16. */
  static float torch(int e, int o, int i) { return 100 * e + 10 * o + i; }

  private Path checkpoint() throws IOException {
    Map<String, HostTensor> t = new LinkedHashMap<>();
    t.put("model.embed.weight", HostTensor.of(new float[] {1, 2, 3, 4}, 2, 2));
    for (int layer = 0; layer < 2; layer++) {
      t.put("model.layers." + layer + ".attn.q.weight", weight(DType.F32, layer));
      // experts written out of order and split over two files below: stacking goes by index
      for (int e : new int[] {2, 0, 1}) t.put("model.layers." + layer + ".moe." + e + ".linear.weight", weight(DType.BF16, e));
    }
    t.put("model.layers.0.rotary.inv_freq", HostTensor.of(new float[] {1}, 1));
    Map<String, HostTensor> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
    t.forEach((k, v) -> (k.contains("layers.1") ? b : a).put(k, v));
    Safetensors.write(dir.resolve("a.safetensors"), a);
    Safetensors.write(dir.resolve("b.safetensors"), b);
    StringBuilder index = new StringBuilder("{\"weight_map\": {");
    t.keySet().forEach(k -> index.append('"').append(k).append("\": \"").append(a.containsKey(k) ? "a" : "b").append(".safetensors\","));
    index.setLength(index.length() - 1);
    java.nio.file.Files.writeString(dir.resolve(SafetensorsReader.INDEX), index.append("}}").toString());
    return dir;
  }

  private static HostTensor weight(DType d, int e) {
    float[] v = new float[OUT * IN];
    for (int o = 0; o < OUT; o++) for (int i = 0; i < IN; i++) v[o * IN + i] = torch(e, o, i);
    return HostTensor.of(d, Shape.of(OUT, IN), v);
  }

  static final CheckpointMap MAP = CheckpointMap.of(
      CheckpointRule.of("model\\.embed\\.weight", "embed/embeddings"),
      CheckpointRule.of("model\\.layers\\.(\\d+)\\.attn\\.q\\.weight", "decoder_layer_$1/attn/query/w").transposed(),
      CheckpointRule.of("model\\.layers\\.(?<layer>\\d+)\\.moe\\.(?<stack>\\d+)\\.linear\\.weight", "decoder_layer_${layer}/moe/linear/w")
          .transposed().stacked(),
      CheckpointRule.ignore(".*\\.inv_freq"));

  static Tree<TensorType> expected() {
    Tree.Builder<TensorType> b = Tree.builder();
    b.put("embed/embeddings", TensorType.of(DType.F32, 2, 2));
    for (int l = 0; l < 2; l++) {
      b.put("decoder_layer_" + l + "/attn/query/w", TensorType.of(DType.F32, IN, OUT));
      b.put("decoder_layer_" + l + "/moe/linear/w", TensorType.of(DType.BF16, E, IN, OUT));
    }
    return b.build();
  }

  @Test
  void mapsTransposesAndStacksLazily() throws IOException {
    try (SafetensorsReader r = SafetensorsReader.open(checkpoint())) {
      Tree<CheckpointTensor> params = MAP.apply(r, expected());
      assertEquals(expected(), params.map(CheckpointTensor::type));

      CheckpointTensor embed = params.get("embed/embeddings");
      assertTrue(embed.isDirect());
      assertTrue(embed.read().isNative(), "an untransformed leaf is a view of the mapping");

      CheckpointTensor q = params.get("decoder_layer_1/attn/query/w");
      assertFalse(q.isDirect());
      HostTensor qt = q.read();
      for (int i = 0; i < IN; i++) for (int o = 0; o < OUT; o++) assertEquals(torch(1, o, i), qt.getFloat(i, o), "q[" + i + "," + o + "]");

      CheckpointTensor moe = params.get("decoder_layer_0/moe/linear/w");
      assertEquals(List.of("model.layers.0.moe.0.linear.weight", "model.layers.0.moe.1.linear.weight",
          "model.layers.0.moe.2.linear.weight"), moe.sources().stream().map(s -> s.name()).toList());
      HostTensor m = moe.read();
      for (int e = 0; e < E; e++) {
        for (int i = 0; i < IN; i++) for (int o = 0; o < OUT; o++) assertEquals(torch(e, o, i), m.getFloat(e, i, o));
      }
      assertEquals("decoder_layer_0/attn/query/w", MAP.pathOf("model.layers.0.attn.q.weight").orElseThrow());
      assertTrue(MAP.pathOf("model.layers.0.rotary.inv_freq").isEmpty());
    }
  }

  @Test
  void uploadsDirectAndAssembledLeaves() throws IOException {
    try (SafetensorsReader r = SafetensorsReader.open(checkpoint()); Backend cpu = Backends.open("cpu")) {
      Tree<CheckpointTensor> params = MAP.apply(r, expected());
      Tree<DeviceBuffer> onDevice = params.map(t -> t.toDevice(cpu, cpu.devices().get(0)));
      Tree<DeviceBuffer> staged = CheckpointMap.upload(params, cpu, cpu.devices().get(0));
      for (Tree.Leaf<CheckpointTensor> leaf : params) {
        try (DeviceBuffer d = onDevice.get(leaf.path()); DeviceBuffer s = staged.get(leaf.path())) {
          assertEquals(leaf.value().read(), d.toHost(), leaf.path());
          assertEquals(leaf.value().read(), s.toHost(), leaf.path() + " (staged)");
        }
      }
    }
  }

  @Test
  void permutesEveryElementWidthLikeNumpyTranspose() {
    long[] dims = {2, 3, 4};
    int[] perm = {2, 0, 1};
    for (DType d : List.of(DType.I8, DType.BF16, DType.F32, DType.F64)) {
      int w = d.byteSize();
      byte[] src = new byte[24 * w];
      for (int k = 0; k < src.length; k++) src[k] = (byte) (k * 7 + 1);
      byte[] got = new byte[src.length];
      Permute.copy(java.lang.foreign.MemorySegment.ofArray(src), dims, perm, w, java.lang.foreign.MemorySegment.ofArray(got));
      // oracle: out[c, a, b] = in[a, b, c] for out dims [4, 2, 3]
      byte[] want = new byte[src.length];
      for (int a = 0; a < 2; a++) for (int b = 0; b < 3; b++) for (int c = 0; c < 4; c++) {
        int from = (a * 12 + b * 4 + c) * w, to = (c * 6 + a * 3 + b) * w;
        System.arraycopy(src, from, want, to, w);
      }
      assertArrayEquals(want, got, d.name());
      assertArrayEquals(new long[] {4, 2, 3}, Permute.dims(dims, perm));
    }
  }

  @Test
  void refusesUnmatchedMissingExtraAndWronglyTypedTensors() throws IOException {
    try (SafetensorsReader r = SafetensorsReader.open(checkpoint())) {
      var noIgnore = CheckpointMap.of(MAP.rules().subList(0, 3).toArray(CheckpointRule[]::new));
      var e = assertThrows(CheckpointException.class, () -> noIgnore.apply(r));
      assertTrue(e.getMessage().contains("'model.layers.0.rotary.inv_freq' (tensor<1xf32> in ") && e.getMessage().contains("a.safetensors")
          && e.getMessage().contains("match no rule"), e.getMessage());

      Tree<TensorType> want = expected()
          .with("decoder_layer_1/attn/query/w", TensorType.of(DType.F32, OUT, IN))  // forgot the transpose
          .with("decoder_layer_9/attn/query/w", TensorType.of(DType.F32, IN, OUT)) // not in the checkpoint
          .filter(p -> !p.equals("embed/embeddings"));                              // model has no embedding
      e = assertThrows(CheckpointException.class, () -> MAP.apply(r, want));
      String m = e.getMessage();
      assertTrue(m.contains("wrong type: path 'decoder_layer_1/attn/query/w' expects tensor<2x3xf32>, checkpoint tensor "
          + "'model.layers.1.attn.q.weight' in " + dir.resolve("b.safetensors") + " gives tensor<3x2xf32> (stored as tensor<2x3xf32>, transposed [1, 0])"), m);
      assertTrue(m.contains("missing: path 'decoder_layer_9/attn/query/w' (tensor<3x2xf32>) has no checkpoint tensor"), m);
      assertTrue(m.contains("extra: checkpoint tensor 'model.embed.weight' in " + dir.resolve("a.safetensors")), m);
      assertTrue(m.contains("3 problem(s)"), m);
    }
  }

  @Test
  void refusesCollisionsAndBrokenStacks() throws IOException {
    Map<String, HostTensor> t = new LinkedHashMap<>();
    t.put("moe.0.w", HostTensor.of(new float[] {1, 2}, 2));
    t.put("moe.2.w", HostTensor.of(new float[] {1, 2}, 2));
    t.put("moe.1.w", HostTensor.of(new float[] {1, 2, 3}, 3));
    Path f = dir.resolve("moe.safetensors");
    Safetensors.write(f, t);
    try (SafetensorsReader r = SafetensorsReader.open(f)) {
      var e = assertThrows(CheckpointException.class, () -> CheckpointMap.of(CheckpointRule.of("moe\\.\\d+\\.w", "moe/w")).apply(r));
      assertTrue(e.getMessage().contains("'moe.0.w'") && e.getMessage().contains("both map to path 'moe/w'"), e.getMessage());
      e = assertThrows(CheckpointException.class,
          () -> CheckpointMap.of(CheckpointRule.of("moe\\.(?<stack>\\d+)\\.w", "moe/w").stacked()).apply(r));
      assertTrue(e.getMessage().contains("stacked tensor 'moe.1.w' in " + f + " is tensor<3xf32>, but 'moe.0.w'"), e.getMessage());
      e = assertThrows(CheckpointException.class,
          () -> CheckpointMap.of(CheckpointRule.of("moe\\.(?<stack>[02])\\.w", "moe/w").stacked(), CheckpointRule.ignore("moe\\.1\\.w")).apply(r));
      assertTrue(e.getMessage().contains("indices [0, 2]; index 1 is missing"), e.getMessage());
      e = assertThrows(CheckpointException.class,
          () -> CheckpointMap.of(CheckpointRule.of("moe\\.(\\d+)\\.w", "moe_$1/w").withTranspose(1, 0)).apply(r));
      assertTrue(e.getMessage().contains("transposes 2 axes, but checkpoint tensor 'moe.0.w'"), e.getMessage());
    }
    var bad = assertThrows(IllegalArgumentException.class, () -> CheckpointRule.of("moe\\.(\\d+)", "x").stacked());
    assertTrue(bad.getMessage().contains("needs a group named 'stack'"), bad.getMessage());
  }

  @Test
  void stagedUploaderMovesEveryLeafThroughTwoSmallBuffers() throws IOException {
    try (SafetensorsReader r = SafetensorsReader.open(checkpoint()); Backend cpu = Backends.open("cpu")) {
      Tree<CheckpointTensor> params = MAP.apply(r, expected());
      // 24-byte buffers: the 36-byte stacks are larger and go on their own, the rest take turns
      try (org.xla4j.runtime.StagedUploader up = org.xla4j.runtime.StagedUploader.open(cpu, cpu.devices().get(0), 24, 2)) {
        List<DeviceBuffer> out = up.upload(params.leaves().stream().map(CheckpointTensor::source).toList());
        Tree<DeviceBuffer> onDevice = Tree.unflatten(params.paths(), out);
        for (Tree.Leaf<CheckpointTensor> leaf : params) {
          assertEquals(leaf.value().read(), onDevice.get(leaf.path()).toHost(), leaf.path());
        }
      }
    }
  }
}
