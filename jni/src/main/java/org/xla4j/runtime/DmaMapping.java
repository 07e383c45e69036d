package org.xla4j.runtime;

import java.lang.foreign.MemorySegment;

/**
 * Host memory registered with a backend for direct DMA ({@link Backend#dmaMap}): uploads from inside
 * the region skip the runtime's staging copy (the GPU plugin pins the pages). Close it to unregister,
 * before the memory itself is freed or unmapped; closing the backend unregisters it too.
 *
 * <pre>{@code
 * try (SafetensorsReader ckpt = SafetensorsReader.open(file);
 *      DmaMapping pinned = backend.dmaMap(ckpt.fileSegment(file)).orElse(null)) {
 *   DeviceBuffer w = backend.toDevice(ckpt.read("w"));   // DMA straight from the mapped file
 * }
 * }</pre>
 */
public interface DmaMapping extends AutoCloseable {
  /** The registered memory. */
  MemorySegment region();

  /** Unregisters; idempotent. */
  @Override
  void close();
}
