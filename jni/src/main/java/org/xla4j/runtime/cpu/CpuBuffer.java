package org.xla4j.runtime.cpu;

import org.xla4j.runtime.Device;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.TensorType;

/**
 * A "device" buffer of the embedded CPU backend: the device is this process, so it is just an
 * immutable host tensor plus a deleted flag (no native memory, nothing for a Cleaner to do).
 */
final class CpuBuffer implements DeviceBuffer {
  /** Buffers neither closed nor donated, in this process (leak tests). */
  static final java.util.concurrent.atomic.AtomicInteger LIVE = new java.util.concurrent.atomic.AtomicInteger();

  private final HostTensor value;
  private final Device device;
  private final java.util.concurrent.atomic.AtomicBoolean deleted = new java.util.concurrent.atomic.AtomicBoolean();

  CpuBuffer(HostTensor value, Device device) {
    this.value = value;
    this.device = device;
    LIVE.incrementAndGet();
  }

  @Override
  public TensorType type() { return value.type(); }

  @Override
  public Device device() { return device; }

  @Override
  public HostTensor toHost() {
    if (deleted.get()) throw new IllegalStateException("this CPU buffer " + value.type() + " has been closed");
    return value;
  }

  @Override
  public boolean isDeleted() { return deleted.get(); }

  @Override
  public void close() {
    if (deleted.compareAndSet(false, true)) LIVE.decrementAndGet();
  }

  @Override
  public String toString() { return "CpuBuffer(" + value.type() + (deleted.get() ? ", deleted)" : ")"); }
}
