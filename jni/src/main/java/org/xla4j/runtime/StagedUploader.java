package org.xla4j.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.xla4j.types.TensorType;

/**
 * Uploads many tensors through a few pinned staging buffers, overlapping the host copy of one tensor
 * with the device transfer of another: each buffer is registered for DMA once ({@link Backend#dmaMap}),
 * so its transfer runs at the link's speed, while the copies into the buffers (from a mapped checkpoint,
 * or a transpose) run on several threads. This is the path for checkpoint files the backend cannot
 * pin in place. Where the backend has no DMA mapping (the CPU backend) the buffers are plain memory.
 *
 * <pre>{@code
 * try (StagedUploader up = StagedUploader.open(backend, device, 256L << 20, 2)) {
 *   List<DeviceBuffer> on = up.upload(List.of(
 *       StagedUploader.Source.copy(reader.read("w1")),                       // bytes as stored
 *       new StagedUploader.Source(type, dst -> leaf.readInto(dst))));        // assembled (transposed)
 * }
 * }</pre>
 */
public final class StagedUploader implements AutoCloseable {
  /**
   * One tensor to upload: its type, and how to write its bytes into a staging segment of exactly
   * {@code type.byteSize()} bytes; {@code copyFrom}, when present, is a plain copy the uploader splits
   * over its copy threads.
   */
  public record Source(TensorType type, Consumer<MemorySegment> fill, Optional<MemorySegment> copyFrom) {
    public Source {
      Objects.requireNonNull(type);
      Objects.requireNonNull(fill);
      Objects.requireNonNull(copyFrom);
    }

    public Source(TensorType type, Consumer<MemorySegment> fill) { this(type, fill, Optional.empty()); }

    /** A host tensor's bytes as they are (a mapped view, or a heap tensor). */
    public static Source copy(HostTensor t) {
      return new Source(t.type(), t::copyTo, Optional.of(t.segment()));
    }
  }

  private static final long COPY_CHUNK = 16L << 20;

  private final Backend backend;
  private final Device device;
  private final long capacity;
  private final Arena arena = Arena.ofShared();
  private final List<DmaMapping> mappings = new ArrayList<>();
  private final BlockingQueue<MemorySegment> free;
  private final ExecutorService workers;
  private final ExecutorService copiers;
  private final int copyThreads;
  private final boolean pinned;

  private StagedUploader(Backend backend, Device device, long capacity, int buffers, int copyThreads) {
    this.backend = backend;
    this.device = device;
    this.capacity = capacity;
    this.free = new ArrayBlockingQueue<>(buffers);
    boolean allPinned = true;
    try {
      for (int i = 0; i < buffers; i++) {
        MemorySegment b = arena.allocate(capacity, 2L << 20);
        Optional<DmaMapping> m = backend.dmaMap(b);
        m.ifPresent(mappings::add);
        allPinned &= m.isPresent();
        free.add(b);
      }
    } catch (RuntimeException e) {
      mappings.forEach(DmaMapping::close);
      arena.close();
      throw e;
    }
    this.pinned = allPinned;
    this.copyThreads = copyThreads;
    this.workers = Executors.newFixedThreadPool(buffers, Thread.ofPlatform().daemon().name("xla4j-upload-", 0).factory());
    this.copiers = Executors.newFixedThreadPool(copyThreads, Thread.ofPlatform().daemon().name("xla4j-copy-", 0).factory());
  }

  /**
   * Allocates {@code buffers} staging buffers of {@code capacity} bytes and registers them for DMA.
   * Tensors larger than {@code capacity} are uploaded on their own (straight from a native view, else
   * through a temporary buffer).
   */
  public static StagedUploader open(Backend backend, Device device, long capacity, int buffers) {
    if (capacity <= 0 || buffers < 1) {
      throw new IllegalArgumentException("StagedUploader: needs a positive capacity and at least one buffer, got "
          + capacity + " bytes x " + buffers);
    }
    int threads = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));
    return new StagedUploader(backend, device, capacity, buffers, threads);
  }

  /** True when every staging buffer is registered for DMA. */
  public boolean pinned() { return pinned; }

  /**
   * Uploads the sources, in order of the result; returns once every transfer is done with host memory.
   * On a failure the buffers made so far are closed and the first error is thrown.
   */
  public List<DeviceBuffer> upload(List<Source> sources) {
    List<Future<DeviceBuffer>> pending = new ArrayList<>();
    for (Source s : sources) pending.add(workers.submit(() -> uploadOne(s)));
    List<DeviceBuffer> out = new ArrayList<>();
    Throwable failure = null;
    for (Future<DeviceBuffer> f : pending) {
      try {
        out.add(f.get());
      } catch (ExecutionException e) {
        if (failure == null) failure = e.getCause();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (failure == null) failure = e;
      }
    }
    if (failure != null) {
      out.forEach(DeviceBuffer::close);
      if (failure instanceof RuntimeException r) throw r;
      if (failure instanceof Error e) throw e;
      throw new IllegalStateException("upload failed", failure);
    }
    return out;
  }

  private DeviceBuffer uploadOne(Source s) throws InterruptedException {
    long n = s.type().byteSize();
    if (n > capacity) {
      if (s.copyFrom().isPresent() && s.copyFrom().get().isNative()) {
        return backend.toDevice(HostTensor.view(s.type(), s.copyFrom().get(), null), device);
      }
      try (Arena tmp = Arena.ofConfined()) {
        MemorySegment seg = tmp.allocate(n, 64);
        s.fill().accept(seg);
        return backend.toDevice(HostTensor.view(s.type(), seg, null), device);
      }
    }
    MemorySegment buffer = free.take();
    try {
      MemorySegment dst = buffer.asSlice(0, n);
      if (s.copyFrom().isPresent() && n > COPY_CHUNK) parallelCopy(s.copyFrom().get(), dst);
      else s.fill().accept(dst);
      // returns once the backend no longer reads the buffer, so it can be reused at once
      return backend.toDevice(HostTensor.view(s.type(), dst, null), device);
    } finally {
      free.put(buffer);
    }
  }

  /** One thread's copy from the page cache runs well below the link's speed: split it. */
  private void parallelCopy(MemorySegment src, MemorySegment dst) {
    long n = src.byteSize();
    long chunk = Math.max(COPY_CHUNK, (n + copyThreads - 1) / copyThreads);
    List<Future<?>> parts = new ArrayList<>();
    for (long at = 0; at < n; at += chunk) {
      long from = at, len = Math.min(chunk, n - at);
      parts.add(copiers.submit(() -> MemorySegment.copy(src, from, dst, from, len)));
    }
    for (Future<?> p : parts) {
      try {
        p.get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while staging an upload", e);
      }
    }
  }

  /** Stops the threads, unregisters and frees the staging buffers; idempotent. */
  @Override
  public void close() {
    if (workers.isShutdown()) return;
    workers.shutdownNow();
    copiers.shutdownNow();
    mappings.forEach(DmaMapping::close);
    arena.close();
  }
}
