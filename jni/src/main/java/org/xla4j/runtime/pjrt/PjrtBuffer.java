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
  static final class State extends NativeChild {
    private volatile boolean donated;
    private volatile boolean consumedByRuntime;

    State(ClientState client, Pointer handle) { super(client, handle, LIVE); }

    @Override
    void destroy() { PjrtNative.x4j_buffer_destroy(client.client, handle); }

    boolean isDonated() { return donated; }

    /**
     * After an execution took this buffer as a donated input: the runtime owns its memory now, so
     * release our handle (safe while the execution still runs) and refuse any later use.
     */
    void donate() {
      if (!isFreed()) {
        // did the runtime really take the memory (the program aliases this input)? For tests and logs.
        consumedByRuntime = PjrtNative.x4j_buffer_is_deleted(client.client, handle) == 1;
      }
      donated = true;
      run();
    }

    boolean consumedByRuntime() { return consumedByRuntime; }
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
    if (state.isFreed()) {
      throw new IllegalStateException("PjrtBuffer " + type + (state.isDonated()
          ? " was donated to an execution and may not be used again" : " is closed"));
    }
    return state.handle;
  }

  @Override
  public HostTensor toHost() {
    awaitReady(); // a failed execution's error first, before host memory is sized from its result
    long n = type.byteSize();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment seg = n >= LARGE ? PjrtHostMemory.allocate(n, arena) : arena.allocate(Math.max(1, n), 64).asSlice(0, n);
      copyTo(seg);
      return HostTensor.ofSegment(type, seg);
    }
  }

  /** Transfers at least this large go through {@link PjrtHostMemory}. */
  static final long LARGE = 2L << 20;

  /**
   * Copies the buffer into new transfer-friendly native memory ({@link PjrtHostMemory}) owned by
   * {@code arena}: the device-to-host copy writes it directly, with no copy through the Java heap.
   */
  public MemorySegment toSegment(Arena arena) {
    awaitReady(); // a failed execution's error first, before host memory is sized from its result
    MemorySegment seg = PjrtHostMemory.allocate(type.byteSize(), arena);
    copyTo(seg);
    return seg;
  }

  /**
   * Copies the buffer into {@code dst} (exactly {@link TensorType#byteSize()} bytes, little-endian,
   * row-major) and waits for the copy. A native segment is written directly by the device-to-host
   * transfer, with no copy through the Java heap; a heap segment goes through a temporary one.
   */
  public void copyTo(MemorySegment dst) {
    long n = type.byteSize();
    if (dst.byteSize() != n) {
      throw new IllegalArgumentException("copyTo: " + type + " takes " + n + " bytes, the destination has " + dst.byteSize());
    }
    if (dst.isReadOnly()) throw new IllegalArgumentException("copyTo: the destination segment is read-only");
    if (!dst.isNative()) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment tmp = arena.allocate(Math.max(1, n), 64);
        copyTo(tmp.asSlice(0, n));
        MemorySegment.copy(tmp, 0, dst, 0, n);
      }
      return;
    }
    state.client.enter();
    try {
      Pointer h = handleForUse();
      ClientState.check(PjrtNative.x4j_buffer_to_host(state.client.client, h, n == 0 ? 0 : dst.address(), n));
    } finally {
      state.client.exit();
    }
  }

  /**
   * Blocks until the buffer's contents exist on the device (the transfer or execution that produces it
   * finished); throws that operation's error, if it failed. Returns this buffer.
   */
  @Override
  public PjrtBuffer awaitReady() {
    state.client.enter();
    try {
      ClientState.check(PjrtNative.x4j_buffer_await_ready(state.client.client, handleForUse()));
      return this;
    } finally {
      state.client.exit();
    }
  }

  /** True once this buffer was donated to an execution (it may not be used again). */
  public boolean isDonated() { return state.isDonated(); }

  /**
   * True when, at donation, the runtime had taken this buffer's memory (the program aliases the input
   * to an output); false when it was donated but the program did not use it, or never donated.
   */
  public boolean donationUsedByRuntime() { return state.consumedByRuntime(); }

  /**
   * Whether the runtime itself reports this buffer deleted (true after a donation the program used).
   * False for a buffer we have not released.
   */
  public boolean isDeletedOnDevice() {
    if (state.isFreed()) return true;
    state.client.enter();
    try {
      int r = PjrtNative.x4j_buffer_is_deleted(state.client.client, handleForUse());
      if (r < 0) throw ClientState.error();
      return r == 1;
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
