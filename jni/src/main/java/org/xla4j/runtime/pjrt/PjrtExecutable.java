package org.xla4j.runtime.pjrt;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.Signature;
import org.xla4j.types.TensorType;

/** A program compiled by a PJRT plugin; runs on one device (the compiled one). */
public final class PjrtExecutable implements Executable {
  private static final AtomicLong LIVE = new AtomicLong();

  /** Native state; never references the outer object. */
  static final class State implements Runnable, ClientState.Child {
    final ClientState client;
    final Pointer handle;
    private volatile boolean freed;

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
      PjrtNative.x4j_executable_destroy(client.client, handle);
    }

    boolean isFreed() { return freed; }

    @Override
    public void run() {
      if (client.isClosed()) return;
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

  private final PjrtBackend backend;
  private final State state;
  private final Cleaner.Cleanable cleanable;
  private final Signature signature;
  private final int numOutputs;
  private final int deviceIndex;

  PjrtExecutable(PjrtBackend backend, ClientState client, Pointer handle, Signature signature, int numOutputs,
                 int deviceIndex, Cleaner cleaner) {
    this.backend = backend;
    this.state = new State(client, handle);
    client.register(state);
    this.cleanable = cleaner.register(this, state);
    this.signature = signature;
    this.numOutputs = numOutputs;
    this.deviceIndex = deviceIndex;
  }

  /** Executables not yet freed, in this process (for leak tests). */
  public static long liveCount() { return LIVE.get(); }

  @Override
  public Signature signature() { return signature; }

  @Override
  public Backend backend() { return backend; }

  @Override
  public List<HostTensor> execute(List<HostTensor> args) {
    Executable.checkArgs(signature, args.stream().map(HostTensor::type).toList());
    List<PjrtBuffer> in = new ArrayList<>(args.size());
    List<DeviceBuffer> out = List.of();
    try {
      for (HostTensor t : args) in.add(backend.toDevice(t, backend.devices().get(deviceIndex)));
      out = run(in, true);
      List<HostTensor> host = new ArrayList<>(out.size());
      for (DeviceBuffer b : out) host.add(b.toHost());
      return host;
    } finally {
      for (PjrtBuffer b : in) b.close();
      for (DeviceBuffer b : out) b.close();
    }
  }

  @Override
  public List<DeviceBuffer> executeBuffers(List<DeviceBuffer> args) {
    List<PjrtBuffer> in = new ArrayList<>(args.size());
    for (int i = 0; i < args.size(); i++) {
      if (!(args.get(i) instanceof PjrtBuffer pb) || pb.state().client != state.client) {
        throw new IllegalArgumentException("execute: argument " + i + " is not a buffer of this PJRT backend: " + args.get(i));
      }
      in.add(pb);
    }
    Executable.checkArgs(signature, in.stream().map(PjrtBuffer::type).toList());
    return run(in, false);
  }

  /**
   * Launches the program. {@code await}: block until the device finished (errors of the run are
   * thrown here); otherwise results are returned at once and later reads wait for them.
   */
  private List<DeviceBuffer> run(List<PjrtBuffer> in, boolean await) {
    state.client.enter();
    try (PointerPointer<Pointer> argv = new PointerPointer<>(Math.max(1, in.size()));
         PointerPointer<Pointer> outv = new PointerPointer<>(Math.max(1, numOutputs))) {
      if (state.isFreed()) throw new IllegalStateException("PjrtExecutable is closed");
      for (int i = 0; i < in.size(); i++) {
        PjrtBuffer b = in.get(i);
        if (b.deviceIndex() != deviceIndex) {
          throw new IllegalArgumentException("execute: argument " + i + " lives on " + b.device()
              + " but the program was compiled for " + backend.devices().get(deviceIndex));
        }
        argv.put(i, b.handleForUse());
      }
      ClientState.check(PjrtNative.x4j_execute(state.client.client, state.handle, -1, argv, in.size(), outv,
          numOutputs, await ? 1 : 0));
      List<DeviceBuffer> out = new ArrayList<>(numOutputs);
      for (int i = 0; i < numOutputs; i++) {
        TensorType t = signature.results().get(i);
        out.add(backend.wrap(outv.get(i), t, deviceIndex));
      }
      return out;
    } finally {
      state.client.exit();
    }
  }

  @Override
  public void close() { cleanable.clean(); }
}
