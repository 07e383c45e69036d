package org.xla4j.runtime.cpu;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.XlaException;
import org.xla4j.types.Signature;

/**
 * An executable of the embedded CPU backend: a handle on a shared {@link CpuProgram}. Closing it (or
 * the Cleaner, once it is unreachable) drops its reference; the program is freed when no executable
 * and no cache entry holds it.
 */
final class CpuExecutable implements Executable {
  static final AtomicInteger LIVE = new AtomicInteger();

  private final CpuBackend backend;
  private final List<String> argPaths;
  private final List<String> resultPaths;
  private final Handle handle;
  private final Cleaner.Cleanable cleanable;

  /**
   * What the Cleaner runs. Static and holding only the program and the backend's state, never the
   * executable, or the executable could never become unreachable.
   */
  private static final class Handle implements Runnable {
    final CpuProgram program;
    final CpuBackend.State owner;
    volatile boolean closed;

    Handle(CpuProgram program, CpuBackend.State owner) {
      this.program = program;
      this.owner = owner;
    }

    @Override
    public void run() { // Cleaner guarantees at most once
      closed = true;
      if (program.release()) owner.forget(program);
      LIVE.decrementAndGet();
    }
  }

  /** Takes over one reference on {@code program}, already retained by the caller. */
  CpuExecutable(CpuBackend backend, CpuBackend.State owner, CpuProgram program, List<String> argPaths,
      List<String> resultPaths) {
    this.backend = backend;
    this.argPaths = List.copyOf(argPaths);
    this.resultPaths = List.copyOf(resultPaths);
    this.handle = new Handle(program, owner);
    LIVE.incrementAndGet();
    this.cleanable = CpuBackend.CLEANER.register(this, handle);
  }

  @Override
  public Signature signature() { return handle.program.signature(); }

  @Override
  public List<String> argPaths() { return argPaths; }

  @Override
  public List<String> resultPaths() { return resultPaths; }

  @Override
  public Backend backend() { return backend; }

  /**
   * XLA's optimized HLO, when the process started with {@code XLA_FLAGS=--xla_dump_to=DIR
   * --xla_dump_hlo_as_text} (TensorFlow hands it out no other way) and after the first run (which is
   * when XLA compiles on this backend); empty otherwise.
   */
  @Override
  public java.util.Optional<String> optimizedHlo() { return handle.program.optimizedHlo(); }

  @Override
  public List<HostTensor> execute(List<HostTensor> args) {
    checkOpen();
    Executable.checkArgs(signature(), args.stream().map(HostTensor::type).toList());
    try {
      return handle.program.run(args);
    } catch (RuntimeException e) {
      if (!TfErrors.isTensorFlow(e)) throw e;
      throw new XlaException(TfErrors.codeOf(e), "XLA CPU execution failed: " + TfErrors.messageOf(e), e);
    } finally {
      Reference.reachabilityFence(this); // keep the Cleaner from closing us mid-run
    }
  }

  @Override
  public List<DeviceBuffer> executeBuffers(List<DeviceBuffer> args) {
    return executeBuffers(args, java.util.Set.of());
  }

  /** Donated arguments are closed after the call, as PJRT deletes them: same semantics on both backends. */
  @Override
  public List<DeviceBuffer> executeBuffers(List<DeviceBuffer> args, java.util.Set<Integer> donate) {
    Executable.checkDonation(donate, args.size());
    List<HostTensor> host = new ArrayList<>(args.size());
    for (int i = 0; i < args.size(); i++) {
      if (!(args.get(i) instanceof CpuBuffer b)) {
        throw new IllegalArgumentException("execute: argument " + i + " is a " + args.get(i).getClass().getSimpleName()
            + ", not a buffer of the CPU backend; copy it with backend.toDevice(tensor)");
      }
      host.add(b.toHost());
    }
    List<DeviceBuffer> out = new ArrayList<>();
    for (HostTensor r : execute(host)) out.add(new CpuBuffer(r, backend.devices().get(0)));
    for (int i : donate) args.get(i).close();
    return out;
  }

  @Override
  public void close() { cleanable.clean(); }

  private void checkOpen() {
    if (handle.closed) throw new IllegalStateException("this Executable has been closed; compile the module again");
  }

  @Override
  public String toString() {
    return "CpuExecutable(" + signature() + (handle.closed ? ", closed)" : ")");
  }
}
