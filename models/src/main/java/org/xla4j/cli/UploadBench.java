package org.xla4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.DmaMapping;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.runtime.SafetensorsReader;
import org.xla4j.runtime.XlaException;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * {@code xla4j bench upload --bytes N}: host-to-device bandwidth of one N-byte tensor from each kind of
 * host memory: a Java-heap HostTensor, a view of a memory-mapped safetensors file, the same view with
 * the file registered for DMA, a pinned (DMA-registered) staging buffer, and 8 views of the mapped file
 * uploaded with their transfers in flight together. Each time runs from the call until the device
 * buffer is ready; the median of {@code iters} runs is printed as GB/s (10^9 bytes per second).
 */
final class UploadBench {
  private UploadBench() {}

  private interface Upload {
    List<DeviceBuffer> run();
  }

  static void run(Backend b, long bytes, int iters, PrintStream out) throws IOException {
    if (bytes < 8 || bytes % 8 != 0) throw new IllegalArgumentException("bench upload: --bytes must be a positive multiple of 8, got " + bytes);
    if (iters < 1) throw new IllegalArgumentException("bench upload: --iters must be at least 1, got " + iters);
    Device dev = b.devices().get(0);
    TensorType type = new TensorType(DType.U8, Shape.of(bytes));
    Path dir = Files.createTempDirectory("xla4j-upload");
    Path file = dir.resolve("upload.safetensors");
    try {
      byte[] random = new byte[(int) Math.min(bytes, Integer.MAX_VALUE - 8)];
      new Random(1).nextBytes(random);
      HostTensor heap = bytes == random.length ? HostTensor.ofBytes(DType.U8, type.shape(), random) : null;
      writeFile(file, type, random);
      out.printf("upload %d bytes (%.1f MiB) to %s on %s, median of %d run(s):%n", bytes, bytes / 1048576.0, dev,
          b.platformName(), iters);
      if (b.platformName().equals("cpu")) {
        out.println("  (the embedded CPU backend keeps heap tensors as they are and copies views onto the heap:"
            + " these figures measure that, not a device link)");
      }
      if (heap != null) report(out, "heap HostTensor", bytes, iters, () -> List.of(b.toDevice(heap, dev)));
      else out.printf("  %-34s n/a (a heap tensor holds at most 2 GiB)%n", "heap HostTensor");
      try (SafetensorsReader r = SafetensorsReader.open(file)) {
        HostTensor view = r.read("x");
        report(out, "mapped file view", bytes, iters, () -> List.of(b.toDevice(view, dev)));
        List<HostTensor> parts = split(view, 8, r);
        Optional<DmaMapping> fileDma = dmaMap(b, r.fileSegment(file), "mapped file", out);
        if (fileDma.isPresent()) {
          try (DmaMapping m = fileDma.get()) {
            report(out, "mapped file view, DMA-mapped", bytes, iters, () -> List.of(b.toDevice(view, dev)));
            report(out, "8 mapped views in flight, DMA-mapped", bytes, iters, () -> b.toDevice(parts, dev));
          }
        } else {
          report(out, "8 mapped views in flight", bytes, iters, () -> b.toDevice(parts, dev));
        }
        try (Arena arena = Arena.ofShared()) {
          MemorySegment staging = arena.allocate(bytes, 4096);
          Optional<DmaMapping> pinned = dmaMap(b, staging, "staging buffer", out);
          if (pinned.isPresent()) {
            try (DmaMapping m = pinned.get()) {
              HostTensor staged = HostTensor.view(type, staging, null);
              report(out, "staged: copy file -> pinned + upload", bytes, iters, () -> {
                parallelCopy(view.segment(), staging);
                return List.of(b.toDevice(staged, dev));
              });
              report(out, "pinned buffer only (upper bound)", bytes, iters, () -> List.of(b.toDevice(staged, dev)));
            }
          }
        }
      }
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    }
  }

  /** The file holds one u8 tensor "x" of the given size (random bytes, repeated past 2 GiB). */
  private static void writeFile(Path file, TensorType type, byte[] random) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment data = arena.allocate(type.byteSize(), 64);
      for (long at = 0; at < data.byteSize(); at += random.length) {
        MemorySegment.copy(MemorySegment.ofArray(random), 0, data, at, Math.min(random.length, data.byteSize() - at));
      }
      Safetensors.write(file, Map.of("x", HostTensor.view(type, data, null)));
    }
  }

  private static List<HostTensor> split(HostTensor view, int n, SafetensorsReader owner) {
    long part = view.segment().byteSize() / n;
    List<HostTensor> parts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long size = i == n - 1 ? view.segment().byteSize() - part * i : part;
      parts.add(HostTensor.view(new TensorType(DType.U8, Shape.of(size)), view.segment().asSlice(part * i, size), owner));
    }
    return parts;
  }

  private static Optional<DmaMapping> dmaMap(Backend b, MemorySegment region, String what, PrintStream out) {
    try {
      Optional<DmaMapping> m = b.dmaMap(region);
      if (m.isEmpty()) out.printf("  %-34s n/a (%s has no DMA mapping)%n", "DMA-map " + what, b.platformName());
      return m;
    } catch (XlaException e) {
      out.printf("  %-34s refused: %s%n", "DMA-map " + what, e.getMessage());
      return Optional.empty();
    }
  }

  /** Copies with several threads: one thread's memcpy from the page cache runs well below the link speed. */
  private static void parallelCopy(MemorySegment src, MemorySegment dst) {
    int threads = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));
    long chunk = (src.byteSize() + threads - 1) / threads;
    List<Thread> running = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      long at = i * chunk;
      long n = Math.min(chunk, src.byteSize() - at);
      if (n <= 0) break;
      running.add(Thread.ofPlatform().start(() -> MemorySegment.copy(src, at, dst, at, n)));
    }
    for (Thread t : running) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while copying", e);
      }
    }
  }

  private static void report(PrintStream out, String label, long bytes, int iters, Upload upload) {
    for (DeviceBuffer d : upload.run()) d.close(); // warm-up: first-touch and allocator growth stay out of the timing
    double[] ms = new double[iters];
    for (int i = 0; i < iters; i++) {
      long t0 = System.nanoTime();
      List<DeviceBuffer> bufs = upload.run();
      for (DeviceBuffer d : bufs) d.awaitReady();
      ms[i] = (System.nanoTime() - t0) / 1e6;
      for (DeviceBuffer d : bufs) d.close();
    }
    Arrays.sort(ms);
    double median = ms[iters / 2];
    out.printf("  %-34s %7.2f GB/s  (%.2f ms)%n", label, bytes / (median * 1e-3) / 1e9, median);
  }
}
