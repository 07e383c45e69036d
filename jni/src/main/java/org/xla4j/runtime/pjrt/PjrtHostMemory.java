package org.xla4j.runtime.pjrt;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.xla4j.runtime.XlaException;

/**
 * Host memory made for large transfers: page-aligned, zeroed, backed by 2 MiB pages where the kernel
 * allows, and faulted in at allocation, so that a device-to-host copy into it runs at transfer speed
 * instead of stopping at every 4 KiB page. Freed when {@code arena} closes.
 *
 * <pre>{@code
 * try (Arena arena = Arena.ofConfined()) {
 *   MemorySegment host = PjrtHostMemory.allocate(buf.type().byteSize(), arena);
 *   buf.copyTo(host);
 * }
 * }</pre>
 */
public final class PjrtHostMemory {
  private PjrtHostMemory() {}

  /**
   * Allocates {@code bytes} bytes that live as long as {@code arena}.
   *
   * @throws XlaException RESOURCE_EXHAUSTED, before allocating anything, when the host does not have
   *     that much memory available: the memory is faulted in at once, and an allocation beyond what the
   *     host has would end with the kernel killing the process rather than with an error
   */
  public static MemorySegment allocate(long bytes, Arena arena) {
    if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
    long available = availableBytes();
    if (bytes > available) {
      throw new XlaException(XlaException.Code.RESOURCE_EXHAUSTED, "cannot allocate " + gib(bytes)
          + " of host memory for a transfer: the host has " + gib(available) + " available (MemAvailable in "
          + "/proc/meminfo). Copy the result in slices, or reduce its size.");
    }
    long size = Math.max(1, bytes);
    long addr = PjrtNative.x4j_host_alloc(size);
    if (addr == 0) throw new XlaException(XlaException.Code.RESOURCE_EXHAUSTED, PjrtNative.lastMessage());
    return MemorySegment.ofAddress(addr).reinterpret(bytes, arena, s -> PjrtNative.x4j_host_free(addr, size));
  }

  /**
   * Host memory available for a new allocation without swapping: Linux's MemAvailable, or, where
   * /proc/meminfo cannot be read, the physical memory size (so only the impossible is refused).
   */
  static long availableBytes() {
    try {
      for (String line : Files.readAllLines(MEMINFO)) {
        if (line.startsWith("MemAvailable:")) {
          String[] f = line.substring("MemAvailable:".length()).trim().split("\\s+");
          return Long.parseLong(f[0]) * 1024; // the kernel writes kB, meaning KiB
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or no /proc: fall through
    }
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getTotalMemorySize();
    return Long.MAX_VALUE;
  }

  private static final Path MEMINFO = Path.of("/proc/meminfo");

  private static String gib(long bytes) { return String.format("%.1f GiB", bytes / (double) (1L << 30)); }
}
