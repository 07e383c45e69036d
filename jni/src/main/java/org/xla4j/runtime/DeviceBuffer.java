package org.xla4j.runtime;

import org.xla4j.types.TensorType;

/**
 * A tensor living on a device. Close it to free device memory (a Cleaner frees it too, later).
 *
 * <pre>{@code
 * try (DeviceBuffer b = backend.toDevice(x)) {
 *   HostTensor back = b.toHost();
 * }
 * }</pre>
 */
public interface DeviceBuffer extends AutoCloseable {
  TensorType type();

  Device device();

  /** Copies the buffer to the host. */
  HostTensor toHost();

  /**
   * Blocks until the buffer's contents exist (the transfer or execution producing it finished) and
   * rethrows that operation's error; returns this buffer. Backends that run synchronously return at once.
   */
  default DeviceBuffer awaitReady() { return this; }

  /** True once closed or donated to an execution. */
  boolean isDeleted();

  @Override
  void close();
}
