package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.program.Partitioner;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.DeviceArray;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.MemoryStats;
import org.xla4j.runtime.pjrt.PjrtBackend;
import org.xla4j.runtime.pjrt.PjrtExecutable;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionSpec;
import org.xla4j.sharding.Sharding;
import org.xla4j.tree.Tree;
import org.xla4j.tree.TreeException;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Programs on every backend: named arguments and results (trees in, trees out), donation printed as
 * the attributes XLA reads (and accepted by TF 2.18's XlaCallModule on CPU), and on a GPU with two
 * devices a mesh-derived partitioned program. Oracles are plain Java loops; f32 results of adds are
 * exact, so they are compared exactly.
 */
class ProgramBackendTest {
  static Stream<String> backends() { return BackendUnderTest.specs().stream(); }

  /**
   * A cache-update step: {@code cache} f32[4, 8] gets row {@code pos} replaced by {@code row}, and
   * {@code total} = the sum of the new cache. The cache is donated: it aliases result "cache".
   */
  private static Program cacheStep() {
    Graph g = new Graph("cache_step");
    Tensor cache = g.parameter("cache", TensorType.of(DType.F32, 4, 8));
    Tensor row = g.parameter("new/row", TensorType.of(DType.F32, 1, 8));
    Tensor pos = g.parameter("new/pos", TensorType.scalar(DType.I32));
    Tensor next = cache.dynamicUpdateSlice(row, pos, g.scalar(0L, DType.I32));
    return g.program(Tree.of(Map.of("cache", next, "total", next.sum()))).withDonated("cache");
  }

  private static float[] iota(int n, float scale) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = i * scale;
    return x;
  }

  /** The oracle: cache with row {@code pos} replaced by {@code row}. */
  private static float[] updated(float[] cache, float[] row, int pos) {
    float[] out = cache.clone();
    System.arraycopy(row, 0, out, pos * 8, 8);
    return out;
  }

  private static double sum(float[] x) {
    double s = 0;
    for (float v : x) s += v;
    return s;
  }

  @ParameterizedTest
  @MethodSource("backends")
  void donatedProgramRunsFromTreesToTrees(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    Program p = cacheStep();
    assertTrue(p.text().contains("{tf.aliasing_output = 0 : i32}"), p.text());
    float[] cache = iota(32, 1f);
    float[] row = iota(8, -2f);
    try (Executable exe = b.compile(p)) {
      assertEquals(List.of("cache", "new/row", "new/pos"), exe.argPaths()); // creation order
      assertEquals(List.of("cache", "total"), exe.resultPaths());
      Tree<HostTensor> out = exe.executeTree(Tree.of(Map.of("cache", HostTensor.of(cache, 4, 8),
          "new/row", HostTensor.of(row, 1, 8), "new/pos", HostTensor.ofInts(new int[] {2}))));
      float[] want = updated(cache, row, 2);
      assertArrayEquals(want, out.get("cache").toFloatArray());
      assertEquals(sum(want), out.get("total").toFloatArray()[0], 1e-3); // exact small integers in f32
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void donationByPathDeletesTheDonatedArray(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    float[] cache = iota(32, 0.5f);
    float[] row = iota(8, 3f);
    try (Executable exe = b.compile(cacheStep())) {
      var dev = List.of(b.devices().get(0));
      DeviceArray c = DeviceArray.replicate(b, HostTensor.of(cache, 4, 8), dev);
      DeviceArray r = DeviceArray.replicate(b, HostTensor.of(row, 1, 8), dev);
      DeviceArray pos = DeviceArray.replicate(b, HostTensor.ofInts(new int[] {3}), dev);
      Tree<DeviceArray> out = exe.executeShardedTree(Tree.of(Map.of("cache", c, "new/row", r, "new/pos", pos)),
          Set.of("cache"));
      assertTrue(c.isDeleted(), "donated cache");
      assertFalse(r.isDeleted(), "kept row");
      assertArrayEquals(updated(cache, row, 3), out.get("cache").toHost().toFloatArray());
      var e = assertThrows(IllegalArgumentException.class,
          () -> exe.executeShardedTree(Tree.of(Map.of("cache", r, "new/row", r, "new/pos", pos)), Set.of("cash")));
      assertTrue(e.getMessage().contains("'cash'"), e.getMessage());
      out.leaves().forEach(DeviceArray::close);
      r.close();
      pos.close();
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void aPlainBufferDonorCompilesAndRuns(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    Graph g = new Graph("donor");
    Tensor x = g.parameter("x", TensorType.of(DType.F32, 6));
    Tensor k = g.parameter("k", TensorType.of(DType.I32, 2));
    Program p = g.program(x.mul(3.0)).withDonated("x", "k");
    // x takes the one f32[6] result; k has no result of its type left: a plain donor
    assertTrue(p.text().contains("%arg0: tensor<6xf32> {tf.aliasing_output = 0 : i32}"), p.text());
    assertTrue(p.text().contains("%arg1: tensor<2xi32> {jax.buffer_donor = true}"), p.text());
    try (Executable exe = b.compile(p)) {
      float[] xs = {1, -2, 3, -4, 5, -6};
      float[] want = new float[6];
      for (int i = 0; i < 6; i++) want[i] = 3 * xs[i];
      HostTensor y = exe.execute(HostTensor.of(xs, 6), HostTensor.ofInts(new int[] {7, 8}, 2)).get(0);
      assertArrayEquals(want, y.toFloatArray());
      List<DeviceBuffer> in = List.of(b.toDevice(HostTensor.of(xs, 6)), b.toDevice(HostTensor.ofInts(new int[] {7, 8}, 2)));
      List<DeviceBuffer> out = exe.executeBuffers(in, Set.of(0, 1));
      assertArrayEquals(want, out.get(0).toHost().toFloatArray());
      assertTrue(in.get(0).isDeleted() && in.get(1).isDeleted(), "both donated");
      out.forEach(DeviceBuffer::close);
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void aTreeOfTheWrongStructureNamesTheFirstDifferingPath(String spec) {
    Backend b = BackendUnderTest.openOrSkip(spec);
    try (Executable exe = b.compile(cacheStep())) {
      var e = assertThrows(TreeException.class, () -> exe.executeTree(Tree.of(Map.of(
          "cache", HostTensor.zeros(TensorType.of(DType.F32, 4, 8)),
          "new/rows", HostTensor.zeros(TensorType.of(DType.F32, 1, 8)),
          "new/pos", HostTensor.ofInts(new int[] {0})))));
      assertTrue(e.getMessage().contains("'new/row'"), e.getMessage());
    }
  }

  @Test
  void externalTextIsNamedByPosition() {
    Backend cpu = BackendUnderTest.openOrSkip("cpu");
    try (Executable exe = cpu.compile(BackendConformanceTest.ADD_REDUCE, CompileOptions.defaults())) {
      assertEquals(List.of("arg0", "arg1"), exe.argPaths());
      assertEquals(List.of("out0", "out1"), exe.resultPaths());
    }
  }

  // ---------------------------------------------------------------- PJRT, two devices

  /** y = x + bias, x split by rows over a 2-device mesh, y laid out like x. Partitions come from the mesh. */
  private static Program rowsPlusBias(Partitioner partitioner) {
    Mesh mesh = Mesh.of("m", Map.of("x", 2));
    Sharding rows = Sharding.named(mesh, PartitionSpec.of("x", null));
    Graph g = new Graph("rows_plus_bias");
    Tensor x = g.parameter("x", TensorType.of(DType.F32, 4, 8), rows);
    Tensor bias = g.parameter("bias", TensorType.of(DType.F32, 8), Sharding.replicated());
    Program p = g.program(Tree.of(Map.of("y", x.add(bias))), Tree.of(Map.of("y", rows)));
    return p.withPartitioner(partitioner);
  }

  @Test
  void partitionedProgramRunsWithItsOwnCountsAndResultShardingInBothDialects() {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    assumeTrue(gpu.devices().size() >= 2, () -> "SKIPPED: needs 2 devices, this machine has " + gpu.devices());
    float[] x = iota(32, 1f);
    float[] bias = iota(8, 100f);
    float[] want = new float[32];
    for (int i = 0; i < 32; i++) want[i] = x[i] + bias[i % 8];
    for (Partitioner part : List.of(Partitioner.SHARDY, Partitioner.GSPMD)) {
      Program p = rowsPlusBias(part);
      assertEquals(2, p.numPartitions());
      try (PjrtExecutable exe = gpu.compile(p, CompileOptions.defaults())) {
        assertEquals(2, exe.numPartitions(), part.name());
        Sharding rows = p.resultShardings().get(0);
        assertEquals(rows, exe.resultShardings().get(0), part + ": result sharding from the Program");
        DeviceArray xs = DeviceArray.put(gpu, HostTensor.of(x, 4, 8), p.argShardings().get(0), exe.devices());
        DeviceArray bs = DeviceArray.replicate(gpu, HostTensor.of(bias, 8), exe.devices());
        Tree<DeviceArray> out = exe.executeShardedTree(Tree.of(Map.of("x", xs, "bias", bs)), Set.of());
        DeviceArray y = out.get("y");
        assertEquals(rows, y.sharding(), part.name());
        assertArrayEquals(want, y.toHost().toFloatArray(), part.name());
        y.close();
        xs.close();
        bs.close();
      }
    }
  }

  // ---------------------------------------------------------------- PJRT, donation holds one copy

  /**
   * The check: a program that writes one row into a donated bf16 [8, 8192, 8, 128] cache
   * (128 MiB) holds one copy of the cache, not two. Without aliasing, the run allocates a second cache
   * while the first is alive; with {@code tf.aliasing_output} it writes in place.
   */
  @Test
  void donatedCacheUpdateHoldsOneCopyOnTheDevice() {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    TensorType cacheT = TensorType.of(DType.BF16, 8, 8192, 8, 128);
    long cacheBytes = cacheT.byteSize();
    Graph g = new Graph("kv_write");
    Tensor cache = g.parameter("cache", cacheT);
    Tensor row = g.parameter("row", TensorType.of(DType.BF16, 8, 1, 8, 128));
    Tensor pos = g.parameter("pos", TensorType.scalar(DType.I32));
    Tensor zero = g.scalar(0L, DType.I32);
    Program base = g.program(Tree.of(Map.of("cache", cache.dynamicUpdateSlice(row, zero, pos, zero, zero))));
    Program p = base.withDonated("cache");
    assertTrue(p.text().contains("tf.aliasing_output = 0 : i32"), "aliasing attribute printed");
    var dev = gpu.devices().get(0);
    // XLA's own account, donated vs not: the aliased bytes are the cache when donation reaches XLA
    try (PjrtExecutable copying = gpu.compile(base, CompileOptions.defaults())) {
      copying.compiledMemoryStats().ifPresent(m -> System.out.printf(
          "[donation] compiled (not donated): arguments %d MiB, outputs %d MiB, aliased %d MiB, temp %d MiB%n",
          m.arguments() >> 20, m.outputs() >> 20, m.aliased() >> 20, m.temp() >> 20));
    }
    try (PjrtExecutable exe = gpu.compile(p, CompileOptions.defaults())) {
      exe.compiledMemoryStats().ifPresent(m -> {
        System.out.printf("[donation] compiled (donated): arguments %d MiB, outputs %d MiB, aliased %d MiB, temp %d MiB%n",
            m.arguments() >> 20, m.outputs() >> 20, m.aliased() >> 20, m.temp() >> 20);
        assertTrue(m.aliased() >= cacheBytes, "XLA aliases the donated cache with the result: " + m);
      });
      DeviceBuffer c = gpu.toDevice(HostTensor.zeros(cacheT), dev);
      DeviceBuffer r = gpu.toDevice(HostTensor.zeros(row.type()), dev);
      DeviceBuffer ps = gpu.toDevice(HostTensor.ofInts(new int[] {17}), dev);
      MemoryStats before = gpu.memoryStats(dev).orElseThrow();
      List<DeviceBuffer> out = exe.executeBuffers(List.of(c, r, ps), Set.of(0));
      out.get(0).toHost(); // wait for the run
      MemoryStats after = gpu.memoryStats(dev).orElseThrow();
      System.out.printf("[donation] cache %d MiB: in use %d -> %d MiB, peak %d -> %d MiB%n", cacheBytes >> 20,
          before.bytesInUse() >> 20, after.bytesInUse() >> 20, before.peakBytesInUse() >> 20,
          after.peakBytesInUse() >> 20);
      assertTrue(c.isDeleted(), "donated");
      out.forEach(DeviceBuffer::close);
      // the allocator's peak is process-wide: it says something only if nothing earlier went higher
      assumeTrue(before.peakBytesInUse() < before.bytesInUse() + cacheBytes / 2,
          () -> "SKIPPED: an earlier peak (" + before.peakBytesInUse() + " bytes) hides this run's; run the test alone");
      // one copy: no second cache existed during the run
      assertTrue(after.peakBytesInUse() < before.bytesInUse() + cacheBytes / 2,
          "peak reached " + after.peakBytesInUse() + " bytes from " + before.bytesInUse() + " in use; cache is "
              + cacheBytes);
      r.close();
      ps.close();
    }
  }
}
