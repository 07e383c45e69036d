package org.xla4j.runtime.pjrt;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.Pointer;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.TensorType;

/**
 * A tensor on one PJRT device. Close it to free device memory now; a Cleaner frees it otherwise.
 * Closing the backend frees it too; any use after that throws {@link IllegalStateException}.
 */
public final class PjrtBuffer implements DeviceBuffer {
  private static final AtomicLong LIVE = new AtomicLong();

  /** Native state; never references the outer object. */
  static final class State implements Runnable, ClientState.Child {
    final ClientState client;
    final Pointer handle;
    private boolean freed;

    State(ClientState client, Pointer handle) {
      this.client = client;
      this.handle = handle;
      LIVE.incrementAndGet();
    }

    @Override
    public synchronized void freeNative() {
      if (freed) return;
      freed = true;
      LIVE.decrementAndGet();
      PjrtNative.x4j_buffer_destroy(client.client, handle);
    }

    synchronized boolean isFreed() { return freed; }

    /** Cleaner / close(): frees unless the client did already. */
    @Override
    public void run() {
      if (client.isClosed()) return; // the client freed every child at its close
      try {
        client.enter();
      } catch (IllegalStateException closedMeanwhile) {
        return;
      }
      try {
        if (client.unregister(this)) freeNative();
      } finally {
        client.exit();
      }
    }
  }

  private final State state;
  private final Cleaner.Cleanable cleanable;
  private final TensorType type;
  private final Device device;
  private final int deviceIndex;

  PjrtBuffer(ClientState client, Pointer handle, TensorType type, Device device, int deviceIndex, Cleaner cleaner) {
    this.state = new State(client, handle);
    client.register(state);
    this.cleanable = cleaner.register(this, state);
    this.type = type;
    this.device = device;
    this.deviceIndex = deviceIndex;
  }

  /** Buffers not yet freed, in this process (for leak tests). */
  public static long liveCount() { return LIVE.get(); }

  @Override
  public TensorType type() { return type; }

  @Override
  public Device device() { return device; }

  int deviceIndex() { return deviceIndex; }

  State state() { return state; }

  /** Throws IllegalStateException when this buffer or its backend is closed. Call under client.enter(). */
  Pointer handleForUse() {
    if (state.isFreed()) throw new IllegalStateException("PjrtBuffer " + type + " is closed");
    return state.handle;
  }

  @Override
  public HostTensor toHost() {
    state.client.enter();
    try (Arena arena = Arena.ofConfined()) {
      Pointer h = handleForUse();
      long n = type.byteSize();
      MemorySegment seg = arena.allocate(Math.max(1, n), 64);
      ClientState.check(PjrtNative.x4j_buffer_to_host(state.client.client, h, seg.asByteBuffer(), n));
      return HostTensor.ofSegment(type, seg.asSlice(0, n));
    } finally {
      state.client.exit();
    }
  }

  /** Bytes the buffer takes on the device. */
  public long onDeviceSizeInBytes() {
    state.client.enter();
    try {
      long n = PjrtNative.x4j_buffer_on_device_size(state.client.client, handleForUse());
      if (n < 0) throw ClientState.error();
      return n;
    } finally {
      state.client.exit();
    }
  }

  @Override
  public boolean isDeleted() { return state.isFreed() || state.client.isClosed(); }

  @Override
  public void close() { cleanable.clean(); }

  @Override
  public String toString() { return "PjrtBuffer[" + type + " on " + device + (isDeleted() ? ", deleted" : "") + "]"; }
}
