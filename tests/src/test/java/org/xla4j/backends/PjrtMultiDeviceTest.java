package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.DeviceArray;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.pjrt.PjrtBackend;
import org.xla4j.runtime.pjrt.PjrtExecutable;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionSpec;
import org.xla4j.sharding.Sharding;
import org.xla4j.types.TensorType;

/** A program partitioned over two devices (GSPMD). Skipped, with the reason, on fewer than two devices. */
class PjrtMultiDeviceTest {
  /** x (sharded by rows over 2 devices) + b (replicated), result replicated. */
  static final String ROWS_PLUS_BIAS = """
      module @m attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
        func.func public @main(%arg0: tensor<4x8xf32> {mhlo.sharding = "{devices=[2,1]0,1}"}, %arg1: tensor<8xf32> {mhlo.sharding = "{replicated}"}) -> (tensor<4x8xf32> {mhlo.sharding = "{replicated}"}) {
          %0 = "stablehlo.broadcast_in_dim"(%arg1) <{broadcast_dimensions = array<i64: 1>}> : (tensor<8xf32>) -> tensor<4x8xf32>
          %1 = "stablehlo.add"(%arg0, %0) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
          "func.return"(%1) : (tensor<4x8xf32>) -> ()
        }
      }
      """;

  /** The same, with the result sharded by rows like x. */
  static final String ROWS_PLUS_BIAS_ROWS_OUT = ROWS_PLUS_BIAS
      .replace("module @m ", "module @m2 ")
      .replace("-> (tensor<4x8xf32> {mhlo.sharding = \"{replicated}\"})",
          "-> (tensor<4x8xf32> {mhlo.sharding = \"{devices=[2,1]0,1}\"})");

  /** Sum over two replicas (NCCL all-reduce), each replica holding its own x. */
  static final String ALL_REDUCE = """
      module @ar attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 2 : i32} {
        func.func public @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
          %0 = "stablehlo.all_reduce"(%arg0) <{replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>}> ({
          ^bb0(%a: tensor<f32>, %b: tensor<f32>):
            %s = "stablehlo.add"(%a, %b) : (tensor<f32>, tensor<f32>) -> tensor<f32>
            "stablehlo.return"(%s) : (tensor<f32>) -> ()
          }) : (tensor<4xf32>) -> tensor<4xf32>
          "func.return"(%0) : (tensor<4xf32>) -> ()
        }
      }
      """;

  @Test
  void allReducesOverTwoReplicasAndDonatesOnEach() {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    assumeTrue(gpu.devices().size() >= 2, () -> "SKIPPED: needs 2 devices, this machine has " + gpu.devices());
    CompileOptions opts = CompileOptions.builder() // 2 replicas: the module's mhlo.num_replicas
        .deviceAssignment(List.of(gpu.devices().get(0).id(), gpu.devices().get(1).id())).build();
    try (PjrtExecutable exe = gpu.compile(ALL_REDUCE, opts)) {
      assertEquals(2, exe.numReplicas());
      List<List<DeviceBuffer>> in = List.of(
          List.of(gpu.toDevice(HostTensor.of(new float[] {1, 2, 3, 4}, 4), exe.devices().get(0))),
          List.of(gpu.toDevice(HostTensor.of(new float[] {10, 20, 30, 40}, 4), exe.devices().get(1))));
      long t = System.nanoTime();
      List<List<DeviceBuffer>> out = exe.executeOnDevices(in, Set.of(0));
      for (int d = 0; d < 2; d++) {
        assertArrayEquals(new float[] {11, 22, 33, 44}, out.get(d).get(0).toHost().toFloatArray(), "replica " + d);
        assertTrue(in.get(d).get(0).isDeleted(), "donated input of replica " + d);
        out.get(d).get(0).close();
      }
      System.out.printf("[multi-device] all-reduce over 2 replicas ok in %.1f ms (first run)%n", (System.nanoTime() - t) / 1e6);
    }
  }

  private static final float[] BIAS = {100, 200, 300, 400, 500, 600, 700, 800};

  private static PjrtBackend twoDevicesOrSkip() {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    assumeTrue(gpu.devices().size() >= 2, () -> "SKIPPED: needs 2 devices, this machine has " + gpu.devices());
    return gpu;
  }

  /** The first two devices (the two SPMD partitions are the module's mhlo.num_partitions). */
  private static CompileOptions twoPartitions(PjrtBackend gpu) {
    return CompileOptions.builder()
        .deviceAssignment(List.of(gpu.devices().get(0).id(), gpu.devices().get(1).id())).build();
  }

  /** x = 0..31 as a [4, 8] matrix. */
  private static float[] rowsX() {
    float[] x = new float[32];
    for (int i = 0; i < 32; i++) x[i] = i;
    return x;
  }

  /** The oracle of ROWS_PLUS_BIAS: x + bias broadcast over rows. */
  private static float[] rowsPlusBias(float[] x) {
    float[] want = new float[x.length];
    for (int i = 0; i < x.length; i++) want[i] = x[i] + BIAS[i % 8];
    return want;
  }

  @Test
  void runsAProgramPartitionedOverTwoDevices() {
    PjrtBackend gpu = twoDevicesOrSkip();
    CompileOptions opts = twoPartitions(gpu);
    float[] x = rowsX();
    float[] bias = BIAS;
    float[] want = rowsPlusBias(x);
    try (PjrtExecutable exe = gpu.compile(ROWS_PLUS_BIAS, opts)) {
      assertEquals(2, exe.devices().size());
      assertEquals(2, exe.numPartitions());
      List<List<DeviceBuffer>> perDevice = new ArrayList<>();
      for (int d = 0; d < 2; d++) {
        float[] shard = java.util.Arrays.copyOfRange(x, d * 16, d * 16 + 16);
        perDevice.add(List.of(gpu.toDevice(HostTensor.of(shard, 2, 8), exe.devices().get(d)),
            gpu.toDevice(HostTensor.of(bias, 8), exe.devices().get(d))));
      }
      List<List<DeviceBuffer>> out = exe.executeOnDevices(perDevice, Set.of());
      assertEquals(2, out.size());
      for (int d = 0; d < 2; d++) {
        DeviceBuffer r = out.get(d).get(0);
        assertEquals(TensorType.parse("tensor<4x8xf32>"), r.type());
        assertEquals(exe.devices().get(d), r.device());
        assertArrayEquals(want, r.toHost().toFloatArray(), "device " + d);
        r.close();
      }
      System.out.println("[multi-device] " + exe + " ok on " + exe.devices());
      for (List<DeviceBuffer> row : perDevice) row.forEach(DeviceBuffer::close);
    }
  }

  @Test
  void runsDeviceArraysThroughAPartitionedProgram() {
    PjrtBackend gpu = twoDevicesOrSkip();
    CompileOptions opts = twoPartitions(gpu);
    float[] x = rowsX();
    float[] bias = BIAS;
    float[] want = rowsPlusBias(x);
    Sharding rows = Sharding.named(Mesh.of("m", Map.of("x", 2)), PartitionSpec.of("x", null));
    HostTensor hx = HostTensor.of(x, 4, 8);
    try (PjrtExecutable exe = gpu.compile(ROWS_PLUS_BIAS_ROWS_OUT, opts);
         DeviceArray xs = DeviceArray.put(gpu, hx, rows, exe.devices());
         DeviceArray b = DeviceArray.replicate(gpu, HostTensor.of(bias, 8), exe.devices())) {
      assertEquals(TensorType.parse("tensor<2x8xf32>"), xs.shards().get(1).type());
      assertEquals(exe.devices(), xs.devices());
      assertEquals(hx, xs.toHost(), "put + gather round trip");

      // shards on the wrong devices: refused before anything runs
      List<Device> swapped = List.of(exe.devices().get(1), exe.devices().get(0));
      try (DeviceArray wrong = DeviceArray.put(gpu, hx, rows, swapped)) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> exe.executeSharded(List.of(wrong, b), Set.of()));
        assertTrue(e.getMessage().contains("shard 0 of argument 0 lives on"), e.getMessage());
      }

      // with the result sharding: a logical array that gathers
      try (DeviceArray y = exe.executeSharded(List.of(xs, b), Set.of(), List.of(rows)).get(0)) {
        assertEquals(rows, y.sharding());
        assertEquals(TensorType.parse("tensor<4x8xf32>"), y.type());
        assertEquals(TensorType.parse("tensor<2x8xf32>"), y.shards().get(0).type());
        assertArrayEquals(want, y.toHost().toFloatArray());
      }

      // a result declared of unknown layout (null): per-device shards, no gather
      try (DeviceArray y = exe.executeSharded(List.of(xs, b), Set.of(), java.util.Arrays.asList((Sharding) null))
          .get(0)) {
        assertNull(y.sharding());
        assertThrows(IllegalStateException.class, y::toHost);
        for (int d = 0; d < 2; d++) {
          assertArrayEquals(java.util.Arrays.copyOfRange(want, d * 16, d * 16 + 16),
              y.shards().get(d).toHost().toFloatArray(), "device " + d);
        }
      }

      // no shardings given: the module's mhlo.sharding "{devices=[2,1]0,1}" on the result is used, so it
      // gathers; x donated on both devices
      assertTrue(exe.resultShardings().get(0) != null, "result sharding read from the module");
      try (DeviceArray y = exe.executeSharded(List.of(xs, b), Set.of(0)).get(0)) {
        assertTrue(y.sharding() != null);
        assertArrayEquals(want, y.toHost().toFloatArray());
        assertTrue(xs.isDeleted(), "donated");
        assertFalse(b.isDeleted(), "kept");
      }
      System.out.println("[multi-device] DeviceArray " + rows + " put/gather and executeSharded ok on " + exe.devices());
    }
  }
}
