package org.xla4j.checkpoint;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.SafetensorsReader;
import org.xla4j.runtime.StagedUploader;
import org.xla4j.runtime.TensorInfo;
import org.xla4j.types.TensorType;

/**
 * A leaf of a checkpoint's parameter tree, not read yet: the checkpoint tensor(s) it comes from, its
 * type after the rule's transpose and stacking, and how to produce its bytes. A leaf that is one
 * checkpoint tensor as stored ({@link #isDirect()}) is a zero-copy view of the mapped file; others are
 * assembled (permuted, stacked) when read.
 *
 * <pre>{@code
 * Tree<CheckpointTensor> lazy = map.apply(reader, expectedTypes);
 * Tree<DeviceBuffer> onDevice = lazy.map(t -> t.toDevice(backend, backend.devices().get(0)));
 * // or, overlapping host copies with transfers through pinned buffers:
 * try (StagedUploader up = StagedUploader.open(backend, device, 512L << 20, 2)) {
 *   Tree<DeviceBuffer> w = Tree.unflatten(lazy.paths(), up.upload(lazy.leaves().stream().map(CheckpointTensor::source).toList()));
 * }
 * }</pre>
 *
 * @param path the tree path
 * @param type the leaf's type (after transpose, with the stacked axis first)
 * @param sources the checkpoint tensors: one, or one per stacked index in index order
 * @param transpose the permutation applied to each source (empty: none)
 * @param stacked whether {@code sources} are stacked along a new axis 0
 * @param reader the open checkpoint the sources come from
 */
public record CheckpointTensor(String path, TensorType type, List<TensorInfo> sources, List<Integer> transpose,
    boolean stacked, SafetensorsReader reader) {
  public CheckpointTensor {
    Objects.requireNonNull(path);
    Objects.requireNonNull(type);
    Objects.requireNonNull(reader);
    sources = List.copyOf(sources);
    transpose = List.copyOf(transpose);
    if (sources.isEmpty() || (!stacked && sources.size() != 1)) {
      throw new IllegalArgumentException(path + ": needs one source tensor, or several stacked; got " + sources);
    }
  }

  /** True when the leaf is one checkpoint tensor as stored: {@link #read()} is a view, uploads read the file mapping. */
  public boolean isDirect() {
    return !stacked && Permute.isIdentity(perm());
  }

  private int[] perm() {
    if (transpose.isEmpty()) return java.util.stream.IntStream.range(0, sources.get(0).type().rank()).toArray();
    return transpose.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * The leaf's bytes: a view of the mapping for a direct leaf (no copy, any size), otherwise assembled
   * on the Java heap (at most 2 GiB; use {@link #readInto} for larger ones).
   */
  public HostTensor read() {
    if (isDirect()) return reader.read(sources.get(0));
    byte[] b = new byte[Math.toIntExact(type.byteSize())];
    MemorySegment heap = MemorySegment.ofArray(b);
    readInto(heap);
    return HostTensor.view(type, heap, null); // owns b alone: no second copy
  }

  /** Writes the leaf's bytes (row-major, little-endian, {@code type().byteSize()} of them) into {@code dst}. */
  public void readInto(MemorySegment dst) {
    if (dst.byteSize() != type.byteSize()) {
      throw new IllegalArgumentException(path + ": " + type + " takes " + type.byteSize() + " bytes, the destination has "
          + dst.byteSize());
    }
    int[] perm = perm();
    long at = 0;
    for (TensorInfo s : sources) {
      Permute.copy(reader.segment(s), s.type().shape().dims(), perm, s.type().dtype().byteSize(), dst.asSlice(at, s.byteSize()));
      at += s.byteSize();
    }
  }

  /**
   * Uploads the leaf: a direct leaf straight from the file mapping (the backend reads it in place),
   * any other through one native staging copy, never through the Java heap.
   */
  public DeviceBuffer toDevice(Backend backend, Device device) {
    if (isDirect()) return backend.toDevice(read(), device);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment staging = arena.allocate(Math.max(1, type.byteSize()), 64).asSlice(0, type.byteSize());
      readInto(staging);
      // toDevice returns once the backend no longer reads the host memory, so closing the arena is safe
      return backend.toDevice(HostTensor.view(type, staging, null), device);
    }
  }

  /**
   * This leaf as a {@link StagedUploader} source: a plain (multi-threaded) copy of the mapping for a
   * direct leaf, the transpose/stack assembly otherwise.
   */
  public StagedUploader.Source source() {
    return isDirect() ? StagedUploader.Source.copy(read()) : new StagedUploader.Source(type, this::readInto);
  }

  @Override
  public String toString() {
    return path + ": " + type + " from " + (sources.size() == 1 ? "'" + sources.get(0).name() + "'"
        : sources.size() + " stacked tensors '" + sources.get(0).name() + "'...") + (transpose.isEmpty() ? "" : " transposed " + transpose);
  }
}
