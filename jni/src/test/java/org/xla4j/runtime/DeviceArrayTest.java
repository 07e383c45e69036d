package org.xla4j.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionSpec;
import org.xla4j.sharding.Sharding;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/** Put / gather of sharded arrays on a fake four-device backend, and on the real CPU backend. */
class DeviceArrayTest {
  /** A backend whose "devices" keep host tensors; it compiles nothing. */
  static final class FakeBackend implements Backend {
    final List<Device> devices = new ArrayList<>();
    int uploads;

    FakeBackend(int n) {
      for (int i = 0; i < n; i++) devices.add(new Device(10 + i, "fake", 0));
    }

    @Override public String platformName() { return "fake"; }
    @Override public String platformVersion() { return "0"; }
    @Override public List<Device> devices() { return devices; }
    @Override public Executable compile(String text, CompileOptions options) { throw new UnsupportedOperationException(); }
    @Override public Executable compile(org.xla4j.program.Program p, CompileOptions options) {
      throw new UnsupportedOperationException();
    }
    @Override public void close() {}

    @Override
    public DeviceBuffer toDevice(HostTensor tensor, Device device) {
      if (!devices.contains(device)) throw new IllegalArgumentException("not a device of this backend: " + device);
      uploads++;
      return new FakeBuffer(tensor, device);
    }
  }

  static final class FakeBuffer implements DeviceBuffer {
    final HostTensor value;
    final Device device;
    boolean deleted;

    FakeBuffer(HostTensor value, Device device) {
      this.value = value;
      this.device = device;
    }

    @Override public TensorType type() { return value.type(); }
    @Override public Device device() { return device; }
    @Override public HostTensor toHost() {
      if (deleted) throw new IllegalStateException("deleted");
      return value;
    }
    @Override public boolean isDeleted() { return deleted; }
    @Override public void close() { deleted = true; }
  }

  static HostTensor iota(long... dims) {
    int n = 1;
    for (long d : dims) n *= (int) d;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = i;
    return HostTensor.of(v, dims);
  }

  static Mesh mesh2x2() {
    Map<String, Integer> axes = new LinkedHashMap<>();
    axes.put("a", 2);
    axes.put("b", 2);
    return Mesh.of("m", axes);
  }

  static float[] shard(DeviceArray a, int i) { return a.shards().get(i).toHost().toFloatArray(); }

  @Test
  void splitsRowsAndColumnsOverA2x2Mesh() {
    FakeBackend be = new FakeBackend(4);
    HostTensor x = iota(4, 6); // rows 0..3, each 6 wide
    try (DeviceArray a = DeviceArray.put(be, x, Sharding.named(mesh2x2(), PartitionSpec.of("a", "b")), be.devices())) {
      assertEquals(x.type(), a.type());
      assertEquals(4, a.shards().size());
      assertEquals(be.devices(), a.devices());
      for (DeviceBuffer b : a.shards()) assertEquals(TensorType.parse("tensor<2x3xf32>"), b.type());
      assertArrayEquals(new float[] {0, 1, 2, 6, 7, 8}, shard(a, 0));        // a=0, b=0
      assertArrayEquals(new float[] {3, 4, 5, 9, 10, 11}, shard(a, 1));      // a=0, b=1
      assertArrayEquals(new float[] {12, 13, 14, 18, 19, 20}, shard(a, 2));  // a=1, b=0
      assertArrayEquals(new float[] {15, 16, 17, 21, 22, 23}, shard(a, 3));  // a=1, b=1
      assertEquals(x, a.toHost());
    }
  }

  @Test
  void replicatesOverMeshAxesTheSpecDoesNotUse() {
    FakeBackend be = new FakeBackend(4);
    HostTensor x = iota(4, 2);
    try (DeviceArray a = DeviceArray.put(be, x, Sharding.named(mesh2x2(), PartitionSpec.of(null, "a")), be.devices())) {
      // dim 1 split over 'a'; 'b' copies: devices (a,b) = 0:(0,0) 1:(0,1) 2:(1,0) 3:(1,1)
      assertArrayEquals(new float[] {0, 2, 4, 6}, shard(a, 0));
      assertArrayEquals(new float[] {0, 2, 4, 6}, shard(a, 1));
      assertArrayEquals(new float[] {1, 3, 5, 7}, shard(a, 2));
      assertArrayEquals(new float[] {1, 3, 5, 7}, shard(a, 3));
      assertEquals(x, a.toHost());
    }
  }

  @Test
  void splitsOneDimensionOverTwoAxesMajorToMinor() {
    FakeBackend be = new FakeBackend(4);
    HostTensor x = iota(8, 1, 2); // trailing dimensions beyond the spec stay whole
    Sharding s = Sharding.named(mesh2x2(), PartitionSpec.of(List.of("b", "a")));
    try (DeviceArray a = DeviceArray.put(be, x, s, be.devices())) {
      // row block index = b * 2 + a: device 1 (a=0, b=1) holds block 2, device 2 (a=1, b=0) block 1
      assertArrayEquals(new float[] {0, 1, 2, 3}, shard(a, 0));
      assertArrayEquals(new float[] {8, 9, 10, 11}, shard(a, 1));
      assertArrayEquals(new float[] {4, 5, 6, 7}, shard(a, 2));
      assertArrayEquals(new float[] {12, 13, 14, 15}, shard(a, 3));
      assertEquals(TensorType.parse("tensor<2x1x2xf32>"), a.shards().get(0).type());
      assertEquals(x, a.toHost());
    }
  }

  @Test
  void followsTheMeshDeviceOrder() {
    FakeBackend be = new FakeBackend(2);
    Mesh reversed = Mesh.builder("m").axis("x", 2).devices(1, 0).build();
    HostTensor x = iota(2, 3);
    try (DeviceArray a = DeviceArray.put(be, x, Sharding.named(reversed, PartitionSpec.of("x")), be.devices())) {
      assertArrayEquals(new float[] {3, 4, 5}, shard(a, 0)); // mesh position 1 is device 0
      assertArrayEquals(new float[] {0, 1, 2}, shard(a, 1));
      assertEquals(x, a.toHost());
    }
  }

  @Test
  void replicatedPutsAFullCopyOnEveryDeviceAndGathersOnce() {
    FakeBackend be = new FakeBackend(3);
    HostTensor x = HostTensor.ofInts(new int[] {7, -8, 9}, 3);
    try (DeviceArray a = DeviceArray.replicate(be, x, be.devices())) {
      assertEquals(Sharding.replicated(), a.sharding());
      for (DeviceBuffer b : a.shards()) assertEquals(x, b.toHost());
      assertEquals(x, a.toHost());
    }
    HostTensor scalar = HostTensor.ofDoubles(new double[] {2.5});
    try (DeviceArray a = DeviceArray.put(be, scalar, Sharding.named(Mesh.of("m", Map.of("x", 3)), PartitionSpec.of()),
        be.devices())) {
      assertEquals(scalar, a.toHost());
      assertEquals(scalar.type(), a.shards().get(2).type());
    }
  }

  @Test
  void roundTripsEveryByteWidth() {
    FakeBackend be = new FakeBackend(2);
    Sharding s = Sharding.named(Mesh.of("m", Map.of("x", 2)), PartitionSpec.of(null, "x"));
    for (DType t : List.of(DType.PRED, DType.I8, DType.BF16, DType.I32, DType.F64)) {
      float[] v = new float[12];
      for (int i = 0; i < v.length; i++) v[i] = i % 3;
      HostTensor x = HostTensor.of(t, Shape.of(3, 4), v);
      try (DeviceArray a = DeviceArray.put(be, x, s, be.devices())) {
        assertEquals(x, a.toHost(), t.toString());
      }
    }
  }

  @Test
  void closeClosesEveryShardOnceAndToHostRefusesAfterwards() {
    FakeBackend be = new FakeBackend(2);
    DeviceArray a = DeviceArray.replicate(be, iota(2), be.devices());
    assertFalse(a.isDeleted());
    a.close();
    a.close();
    assertTrue(a.isDeleted());
    for (DeviceBuffer b : a.shards()) assertTrue(b.isDeleted());
    IllegalStateException e = assertThrows(IllegalStateException.class, a::toHost);
    assertTrue(e.getMessage().contains("closed or donated"), e.getMessage());
  }

  @Test
  void errorsNameTheShapeTheAxesAndTheDevices() {
    FakeBackend be = new FakeBackend(4);
    Sharding rows = Sharding.named(mesh2x2(), PartitionSpec.of("a", "b"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DeviceArray.put(be, iota(4, 5), rows, be.devices()));
    assertTrue(e.getMessage().contains("dimension 1 of tensor<4x5xf32> (size 5) does not divide into 2 equal shards"),
        e.getMessage());
    assertTrue(e.getMessage().contains("[b]"), e.getMessage());
    assertEquals(0, be.uploads, "nothing uploaded before the check");

    e = assertThrows(IllegalArgumentException.class,
        () -> DeviceArray.put(be, iota(4, 4), rows, be.devices().subList(0, 2)));
    assertTrue(e.getMessage().contains("has 4 device(s), but 2 were given: [fake:10, fake:11]"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> DeviceArray.put(be, iota(4), rows, be.devices()));
    assertTrue(e.getMessage().contains("has 2 entries but tensor<4xf32> has rank 1"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> DeviceArray.replicate(be, iota(4), List.of(be.devices().get(0), be.devices().get(0))));
    assertTrue(e.getMessage().contains("listed twice"), e.getMessage());

    Mesh far = Mesh.builder("m").axis("x", 2).devices(4, 5).build();
    e = assertThrows(IllegalArgumentException.class,
        () -> DeviceArray.put(be, iota(4), Sharding.named(far, PartitionSpec.of("x")), be.devices().subList(0, 2)));
    assertTrue(e.getMessage().contains("device ids [4, 5] must index the 2 device(s) given"), e.getMessage());

    // wrapping buffers whose shapes disagree with the sharding
    List<DeviceBuffer> wrong = List.of(be.toDevice(iota(4), be.devices().get(0)), be.toDevice(iota(4), be.devices().get(1)));
    Sharding split = Sharding.named(Mesh.of("m", Map.of("x", 2)), PartitionSpec.of("x"));
    e = assertThrows(IllegalArgumentException.class, () -> DeviceArray.of(TensorType.parse("tensor<4xf32>"), split, wrong));
    assertTrue(e.getMessage().contains("needs tensor<2xf32> on each device, but shard 0 on fake:10 is tensor<4xf32>"),
        e.getMessage());
  }

  @Test
  void unknownLayoutKeepsShardsButRefusesToGather() {
    FakeBackend be = new FakeBackend(2);
    List<DeviceBuffer> parts = List.of(be.toDevice(iota(2), be.devices().get(0)), be.toDevice(iota(2), be.devices().get(1)));
    try (DeviceArray a = DeviceArray.ofUnknownLayout(TensorType.parse("tensor<4xf32>"), parts)) {
      assertNull(a.sharding());
      assertEquals(2, a.shards().size());
      IllegalStateException e = assertThrows(IllegalStateException.class, a::toHost);
      assertTrue(e.getMessage().contains("unknown (sharding() is null)"), e.getMessage());
      assertTrue(a.toString().contains("unknown layout"), a.toString());
    }
  }

  // ---------------------------------------------------------------- the real CPU backend (one device)

  static final String ADD = """
      module @add {
        func.func public @main(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xf32>) -> tensor<2x3xf32> {
          %0 = "stablehlo.add"(%arg0, %arg1) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
          "func.return"(%0) : (tensor<2x3xf32>) -> ()
        }
      }
      """;

  @Test
  void cpuRoundTripsAndExecutesShardedOnOneDevice() {
    try (Backend cpu = Backends.open("cpu");
         Executable exe = cpu.compile(ADD, CompileOptions.defaults())) {
      HostTensor x = iota(2, 3);
      Sharding one = Sharding.named(Mesh.of("m", Map.of("x", 1)), PartitionSpec.of("x", null));
      try (DeviceArray a = DeviceArray.put(cpu, x, one, cpu.devices());
           DeviceArray b = DeviceArray.replicate(cpu, x, cpu.devices())) {
        assertEquals(x, a.toHost());
        List<DeviceArray> out = exe.executeSharded(List.of(a, b), Set.of(1));
        assertTrue(b.isDeleted(), "donated");
        assertFalse(a.isDeleted());
        try (DeviceArray r = out.get(0)) {
          assertEquals(Sharding.replicated(), r.sharding());
          assertEquals(cpu.devices(), r.devices());
          assertArrayEquals(new float[] {0, 2, 4, 6, 8, 10}, r.toHost().toFloatArray());
        }
      }
      // a two-shard array cannot run on a one-device program
      FakeBackend fake = new FakeBackend(2);
      try (DeviceArray two = DeviceArray.replicate(fake, x, fake.devices())) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> exe.executeSharded(List.of(two, two), Set.of()));
        assertTrue(e.getMessage().contains("runs on one device, but argument 0"), e.getMessage());
        assertTrue(e.getMessage().contains("[fake:10, fake:11]"), e.getMessage());
      }
    }
  }

  @Test
  void sameObjectWhenNothingIsSplit() {
    FakeBackend be = new FakeBackend(1);
    HostTensor x = iota(3);
    try (DeviceArray a = DeviceArray.replicate(be, x, be.devices())) {
      assertSame(x, ((FakeBuffer) a.shards().get(0)).value, "no copy for a full shard");
    }
  }
}
