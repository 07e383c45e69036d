package org.xla4j.runtime.pjrt;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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

  /** Allocates {@code bytes} bytes that live as long as {@code arena}. */
  public static MemorySegment allocate(long bytes, Arena arena) {
    if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
    long size = Math.max(1, bytes);
    long addr = PjrtNative.x4j_host_alloc(size);
    if (addr == 0) throw new XlaException(XlaException.Code.RESOURCE_EXHAUSTED, PjrtNative.lastMessage());
    return MemorySegment.ofAddress(addr).reinterpret(bytes, arena, s -> PjrtNative.x4j_host_free(addr, size));
  }
}
