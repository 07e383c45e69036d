package org.xla4j.runtime;

/**
 * Allocator statistics of one device, in bytes; -1 where the backend does not say.
 *
 * <pre>{@code
 * backend.memoryStats(backend.devices().get(0)).ifPresent(m -> System.out.println(m.peakBytesInUse()));
 * }</pre>
 */
public record MemoryStats(long bytesInUse, long peakBytesInUse, long bytesLimit) {}
