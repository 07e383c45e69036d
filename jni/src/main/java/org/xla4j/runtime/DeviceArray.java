package org.xla4j.runtime;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionSpec;
import org.xla4j.sharding.Sharding;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * One logical array spread over devices: its global type, its sharding and one buffer per device.
 * Shard {@code i} lives on the {@code i}-th device the array was put on. With a named sharding, that
 * index is the mesh's device id (as in the GSPMD tile assignment, i.e. the partition index of a
 * program compiled for those devices). Each dimension is split into as many equal parts as the product
 * of the sizes of its mesh axes; mesh axes the spec does not use hold identical copies.
 *
 * <p>Immutable apart from closing. Closing (or donating to an execution) releases the shards.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.of("m", Map.of("x", 2));
 * try (DeviceArray a = DeviceArray.put(gpu, host, Sharding.named(mesh, PartitionSpec.of("x", null)), exe.devices())) {
 *   a.shards().get(1).type();   // tensor<2x8xf32> for a tensor<4x8xf32>
 *   HostTensor back = a.toHost();
 * }
 * }</pre>
 */
public final class DeviceArray implements AutoCloseable {
  private final TensorType type;
  private final Sharding sharding; // null: per-device shards of unknown layout
  private final List<DeviceBuffer> shards;
  private final AtomicBoolean closed = new AtomicBoolean();

  private DeviceArray(TensorType type, Sharding sharding, List<DeviceBuffer> shards) {
    this.type = type;
    this.sharding = sharding;
    this.shards = List.copyOf(shards);
  }

  // ---------------------------------------------------------------- factories

  /**
   * Splits {@code tensor} as {@code sharding} says and copies each shard to its device: shard {@code i}
   * to {@code devices.get(i)}. A replicated sharding puts a full copy on every listed device.
   *
   * @throws IllegalArgumentException naming the dimension, its size and the mesh axes when a sharded
   *     dimension does not divide evenly, or when the device count does not match the mesh
   */
  public static DeviceArray put(Backend backend, HostTensor tensor, Sharding sharding, List<Device> devices) {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(tensor, "tensor");
    checkDistinct(devices);
    Tiles tiles = tiles(tensor.type(), sharding, devices.size(), devices.toString());
    List<DeviceBuffer> out = new ArrayList<>(devices.size());
    ByteBuffer src = tensor.byteBuffer();
    try {
      for (int i = 0; i < devices.size(); i++) {
        HostTensor shard = tiles.full()
            ? tensor
            : HostTensor.wrap(tiles.shardType, slice(src, tensor.type(), tiles.shardType, tiles.offsets[i]));
        out.add(backend.toDevice(shard, devices.get(i)));
      }
    } catch (RuntimeException e) {
      for (DeviceBuffer b : out) b.close();
      throw e;
    }
    return new DeviceArray(tensor.type(), sharding, out);
  }

  /** Puts a full copy of {@code tensor} on each of {@code devices}. */
  public static DeviceArray replicate(Backend backend, HostTensor tensor, List<Device> devices) {
    return put(backend, tensor, Sharding.replicated(), devices);
  }

  /**
   * Wraps existing buffers (taking ownership: closing the array closes them) after checking that
   * shard {@code i} has the shape {@code sharding} gives device {@code i} and the devices are distinct.
   */
  public static DeviceArray of(TensorType type, Sharding sharding, List<DeviceBuffer> shards) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(sharding, "sharding (use ofUnknownLayout for shards of unknown layout)");
    List<Device> devices = devicesOf(shards);
    checkDistinct(devices);
    Tiles tiles = tiles(type, sharding, shards.size(), devices.toString());
    for (int i = 0; i < shards.size(); i++) {
      if (!shards.get(i).type().equals(tiles.shardType)) {
        throw new IllegalArgumentException("DeviceArray: " + type + " sharded as " + describe(sharding)
            + " over " + shards.size() + " device(s) needs " + tiles.shardType + " on each device, but shard " + i
            + " on " + shards.get(i).device() + " is " + shards.get(i).type());
      }
    }
    return new DeviceArray(type, sharding, shards);
  }

  /**
   * Wraps per-device buffers whose layout is not known (e.g. results of a multi-device program whose
   * result shardings were not given): {@link #sharding()} is null and {@link #toHost()} refuses; read
   * {@link #shards()} one by one instead. {@code type} is the declared (global) type.
   */
  public static DeviceArray ofUnknownLayout(TensorType type, List<DeviceBuffer> shards) {
    Objects.requireNonNull(type, "type");
    if (shards.isEmpty()) throw new IllegalArgumentException("DeviceArray: no shards given for " + type);
    checkDistinct(devicesOf(shards));
    return new DeviceArray(type, null, shards);
  }

  // ---------------------------------------------------------------- readers

  /** The global (logical) type. */
  public TensorType type() { return type; }

  /** The sharding; null when the shards' layout is unknown. */
  public Sharding sharding() { return sharding; }

  /** One buffer per device, shard {@code i} on the array's {@code i}-th device. */
  public List<DeviceBuffer> shards() { return shards; }

  /** The devices holding the shards, in shard order. */
  public List<Device> devices() { return devicesOf(shards); }

  /** True once closed, or once any shard was closed or donated to an execution. */
  public boolean isDeleted() {
    if (closed.get()) return true;
    for (DeviceBuffer b : shards) if (b.isDeleted()) return true;
    return false;
  }

  /**
   * Gathers the shards into the global tensor (one read per distinct shard; replicated copies are
   * read once).
   *
   * @throws IllegalStateException when the layout is unknown, or the array was closed or donated
   */
  public HostTensor toHost() {
    if (sharding == null) {
      throw new IllegalStateException("DeviceArray: the layout of these " + shards.size() + " per-device shard(s) of "
          + type + " on " + devices() + " is unknown (sharding() is null), so they cannot be gathered; "
          + "read shards() one by one, or pass the result shardings to the execution");
    }
    if (isDeleted()) {
      throw new IllegalStateException("DeviceArray " + type + " on " + devices() + " was closed or donated");
    }
    Tiles tiles = tiles(type, sharding, shards.size(), devices().toString());
    if (tiles.full()) return shards.get(0).toHost();
    byte[] dst = new byte[Math.toIntExact(type.byteSize())];
    Set<List<Long>> done = new HashSet<>();
    for (int i = 0; i < shards.size(); i++) {
      if (!done.add(boxed(tiles.offsets[i]))) continue; // a replicated copy of a tile already read
      HostTensor part = shards.get(i).toHost();
      unslice(part.byteBuffer(), tiles.shardType, dst, type, tiles.offsets[i]);
    }
    return HostTensor.wrap(type, dst);
  }

  /** Closes every shard; idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    RuntimeException first = null;
    for (DeviceBuffer b : shards) {
      try {
        b.close();
      } catch (RuntimeException e) {
        if (first == null) first = e;
      }
    }
    if (first != null) throw first;
  }

  /** E.g. {@code DeviceArray(tensor<4x8xf32>, P('x', None) over {x=2}, 2 shards of tensor<2x8xf32> on [cuda:0, cuda:1])}. */
  @Override
  public String toString() {
    return "DeviceArray(" + type.mlir() + ", " + (sharding == null ? "unknown layout" : describe(sharding)) + ", "
        + shards.size() + " shard(s) of " + (shards.isEmpty() ? "?" : shards.get(0).type().mlir()) + " on " + devices()
        + (closed.get() ? ", closed" : "") + ")";
  }

  // ---------------------------------------------------------------- layout

  /** Per-device element offsets of each shard into the global tensor, and the shard type. */
  private record Tiles(TensorType shardType, long[][] offsets, boolean full) {}

  private static Tiles tiles(TensorType global, Sharding sharding, int numDevices, String devices) {
    Objects.requireNonNull(sharding, "sharding");
    long[] dims = global.shape().dims();
    int rank = dims.length;
    if (numDevices < 1) throw new IllegalArgumentException("DeviceArray: no devices given for " + global);
    long[][] offsets = new long[numDevices][rank];
    return switch (sharding) {
      case Sharding.Replicated r -> new Tiles(global, offsets, true);
      case Sharding.Named n -> {
        Mesh mesh = n.mesh();
        PartitionSpec spec = n.spec();
        if (spec.rank() > rank) {
          throw new IllegalArgumentException("DeviceArray: " + spec + " has " + spec.rank() + " entries but "
              + global + " has rank " + rank);
        }
        if (mesh.size() != numDevices) {
          throw new IllegalArgumentException("DeviceArray: mesh '" + mesh.name() + "' " + mesh.axes() + " has "
              + mesh.size() + " device(s), but " + numDevices + " were given: " + devices);
        }
        for (int id : mesh.deviceIds()) {
          if (id < 0 || id >= numDevices) {
            throw new IllegalArgumentException("DeviceArray: mesh '" + mesh.name() + "' device ids " + mesh.deviceIds()
                + " must index the " + numDevices + " device(s) given (0.." + (numDevices - 1) + "): " + devices);
          }
        }
        long[] shardDims = dims.clone();
        for (int d = 0; d < spec.rank(); d++) {
          List<String> axes = spec.dims().get(d);
          long parts = 1;
          for (String a : axes) parts *= mesh.axisSize(a);
          if (dims[d] % parts != 0) {
            throw new IllegalArgumentException("DeviceArray: dimension " + d + " of " + global + " (size " + dims[d]
                + ") does not divide into " + parts + " equal shards over mesh axes " + axes + " of " + mesh.axes()
                + " (" + spec + ")");
          }
          shardDims[d] = dims[d] / parts;
        }
        List<String> names = mesh.axisNames();
        int[] sizes = names.stream().mapToInt(mesh::axisSize).toArray();
        int[] coord = new int[sizes.length];
        for (int p = 0; p < mesh.size(); p++) { // mesh positions in row-major order
          int device = mesh.deviceIds().get(p);
          for (int d = 0; d < spec.rank(); d++) {
            long idx = 0;
            for (String a : spec.dims().get(d)) {
              int k = names.indexOf(a);
              idx = idx * sizes[k] + coord[k];
            }
            offsets[device][d] = idx * shardDims[d];
          }
          for (int k = sizes.length - 1; k >= 0; k--) {
            if (++coord[k] < sizes[k]) break;
            coord[k] = 0;
          }
        }
        TensorType shardType = new TensorType(global.dtype(), Shape.of(shardDims));
        yield new Tiles(shardType, offsets, shardType.equals(global));
      }
    };
  }

  /** Copies the block at {@code offsets} of shape {@code shard} out of the row-major global tensor. */
  private static byte[] slice(ByteBuffer src, TensorType global, TensorType shard, long[] offsets) {
    byte[] dst = new byte[Math.toIntExact(shard.byteSize())];
    forEachRow(global, shard, offsets, (globalByte, shardByte, len) -> src.get(globalByte, dst, shardByte, len));
    return dst;
  }

  /** Copies a shard back into its block of the row-major global tensor. */
  private static void unslice(ByteBuffer src, TensorType shard, byte[] dst, TensorType global, long[] offsets) {
    forEachRow(global, shard, offsets, (globalByte, shardByte, len) -> src.get(shardByte, dst, globalByte, len));
  }

  private interface RowCopy { void copy(int globalByte, int shardByte, int len); }

  /** Visits the contiguous rows (last dimension) of a block: byte offsets in the global and shard tensors. */
  private static void forEachRow(TensorType global, TensorType shard, long[] offsets, RowCopy copy) {
    int eb = global.dtype().byteSize();
    long[] g = global.shape().dims();
    long[] s = shard.shape().dims();
    int rank = g.length;
    if (rank == 0) {
      copy.copy(0, 0, eb);
      return;
    }
    long[] stride = new long[rank]; // global strides in elements
    stride[rank - 1] = 1;
    for (int d = rank - 2; d >= 0; d--) stride[d] = stride[d + 1] * g[d + 1];
    long rows = 1;
    for (int d = 0; d < rank - 1; d++) rows *= s[d];
    int rowBytes = Math.toIntExact(s[rank - 1] * eb);
    if (rowBytes == 0) return;
    long[] idx = new long[rank]; // index within the shard; the last coordinate stays 0
    for (long r = 0; r < rows; r++) {
      long flat = 0;
      for (int d = 0; d < rank; d++) flat += (offsets[d] + idx[d]) * stride[d];
      copy.copy(Math.toIntExact(flat * eb), Math.toIntExact(r * rowBytes), rowBytes);
      for (int d = rank - 2; d >= 0; d--) {
        if (++idx[d] < s[d]) break;
        idx[d] = 0;
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private static List<Device> devicesOf(List<DeviceBuffer> shards) {
    List<Device> out = new ArrayList<>(shards.size());
    for (DeviceBuffer b : shards) out.add(b.device());
    return out;
  }

  private static void checkDistinct(List<Device> devices) {
    if (devices.isEmpty()) throw new IllegalArgumentException("DeviceArray: no devices given");
    if (new HashSet<>(devices).size() != devices.size()) {
      throw new IllegalArgumentException("DeviceArray: a device is listed twice in " + devices);
    }
  }

  private static List<Long> boxed(long[] a) {
    return Arrays.stream(a).boxed().toList();
  }

  static String describe(Sharding s) {
    return switch (s) {
      case Sharding.Replicated r -> "replicated";
      case Sharding.Named n -> n.spec() + " over " + n.mesh().axes();
    };
  }
}
