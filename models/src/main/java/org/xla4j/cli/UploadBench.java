package org.xla4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
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
import org.xla4j.runtime.StagedUploader;
import org.xla4j.runtime.XlaException;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * {@code xla4j bench upload --bytes N}: host-to-device bandwidth of N bytes from each kind of host
 * memory: a Java-heap HostTensor; a view of a memory-mapped safetensors file, alone and as 8 views in
 * flight together; the same with the file registered for DMA (read-only, and copy-on-write mapping);
 * the staged pipeline (copies into two pinned buffers overlapping their transfers); and a pinned buffer
 * alone, the link's upper bound. Registration times are printed beside. Each time runs from the call until the device
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
      else out.printf("  %-38s n/a (a heap tensor holds at most 2 GiB)%n", "heap HostTensor");
      try (SafetensorsReader r = SafetensorsReader.open(file)) {
        HostTensor view = r.read("x");
        report(out, "mapped file view", bytes, iters, () -> List.of(b.toDevice(view, dev)));
        List<HostTensor> parts = split(view, 8, r);
        report(out, "8 mapped views in flight", bytes, iters, () -> b.toDevice(parts, dev));
        Optional<DmaMapping> fileDma = dmaMap(b, r.fileSegment(file), "read-only file mapping", out);
        if (fileDma.isPresent()) {
          try (DmaMapping m = fileDma.get()) {
            report(out, "mapped view, DMA-mapped", bytes, iters, () -> List.of(b.toDevice(view, dev)));
            report(out, "8 mapped views in flight, DMA-mapped", bytes, iters, () -> b.toDevice(parts, dev));
          }
        }
        long stage = Math.min(bytes, 64L << 20);
        try (StagedUploader up = StagedUploader.open(b, dev, stage, 2)) {
          List<StagedUploader.Source> sources = split(view, (int) Math.max(1, bytes / stage), r).stream()
              .map(StagedUploader.Source::copy).toList();
          report(out, "staged pipeline, 2 x " + (stage >> 20) + " MiB" + (up.pinned() ? " pinned" : ""), bytes, iters,
              () -> up.upload(sources));
        }
      }
      if (!b.platformName().equals("cpu")) {
        try (SafetensorsReader r = SafetensorsReader.open(file, FileChannel.MapMode.PRIVATE)) {
          HostTensor view = r.read("x");
          Optional<DmaMapping> m = dmaMap(b, r.fileSegment(file), "copy-on-write file mapping", out);
          if (m.isPresent()) {
            try (DmaMapping ignored = m.get()) {
              report(out, "copy-on-write view, DMA-mapped", bytes, iters, () -> List.of(b.toDevice(view, dev)));
            }
          }
        }
      }
      try (Arena arena = Arena.ofShared()) {
        MemorySegment pinnedBuf = arena.allocate(bytes, 2L << 20);
        pinnedBuf.fill((byte) 1);
        Optional<DmaMapping> pinned = dmaMap(b, pinnedBuf, "host buffer", out);
        if (pinned.isPresent()) {
          try (DmaMapping m = pinned.get()) {
            HostTensor staged = HostTensor.view(type, pinnedBuf, null);
            report(out, "pinned buffer only (upper bound)", bytes, iters, () -> List.of(b.toDevice(staged, dev)));
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
    long t0 = System.nanoTime();
    try {
      Optional<DmaMapping> m = b.dmaMap(region);
      if (m.isEmpty()) out.printf("  %-38s n/a (%s has no DMA mapping)%n", "DMA-map " + what, b.platformName());
      else out.printf("  %-38s registered in %.1f ms%n", "DMA-map " + what, (System.nanoTime() - t0) / 1e6);
      return m;
    } catch (XlaException e) {
      out.printf("  %-38s refused: %s%n", "DMA-map " + what, e.getMessage());
      return Optional.empty();
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
    out.printf("  %-38s %7.2f GB/s  (%.2f ms)%n", label, bytes / (median * 1e-3) / 1e9, median);
  }
}
