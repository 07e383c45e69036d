package org.xla4j.runtime.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.RunOptions;
import org.xla4j.runtime.CompileException;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.XlaException.Code;
import org.xla4j.types.Signature;
import org.xla4j.types.TensorType;

/**
 * One compiled module: Placeholders feeding a single {@code XlaCallModule} node that carries the
 * StableHLO text, in a TensorFlow graph and session shared with other programs ({@link SessionGroup}).
 * Building the node parses and verifies the module; TF compiles it with XLA's CPU compiler on the
 * first run. Every native call runs on a large-stack thread ({@link NativeStack}). Owns native
 * memory; shared by every executable compiled from the same text (reference counted) and closed at
 * the latest by its backend.
 */
final class CpuProgram {
  private static final AtomicInteger LIVE = new AtomicInteger();
  private static final AtomicLong NODE_PREFIX = new AtomicLong();
  /** XlaCallModule serialization version; 9 is the newest TF 2.18 accepts. */
  private static final long CALL_MODULE_VERSION = 9;
  /**
   * Run the program's nodes on the calling thread instead of handing them to TF's inter-op pool:
   * saves a thread switch. XLA still uses the intra-op pool for the computation itself (a 1024^3
   * matmul runs as fast either way).
   */
  private static final RunOptions CALLER_THREAD = RunOptions.newBuilder().setInterOpThreadPool(-1).build();

  private final Signature signature;
  private final String moduleText; // for diagnostics of the first run, where XLA compiles
  private final SessionGroup group;
  private final Graph graph;
  private final Session session;
  private final GraphOperation call;
  private final String callName;
  private final Output<?>[] feeds;
  private final Output<?>[] fetches;
  private final TfTypes[] argTf;
  private final org.tensorflow.ndarray.Shape[] argShapes;
  // runs share the read lock; closing takes the write lock so it never frees a session mid-run
  private volatile java.util.Optional<String> optimizedHlo = java.util.Optional.empty();
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed; // guarded by lock's write lock (read under the read lock)
  private int refs; // guarded by this
  private final Object firstRunLock = new Object();
  private volatile boolean compiled; // a run succeeded, so XLA has compiled the module

  /** Number of programs whose native graph/session are not yet freed, in this process. */
  static int live() { return LIVE.get(); }

  /**
   * Builds the program's graph nodes; TF parses and verifies the module as the call node is built, so
   * a module that does not parse throws here, with MLIR's diagnostic. Does not run the program: XLA
   * compiles it on the first {@link #run}, whose compile errors are {@link CompileException}s too.
   */
  static CpuProgram compile(String moduleText, Signature sig) {
    return NativeStack.call(() -> {
      CpuProgram[] built = new CpuProgram[1];
      NativeStderrCapture.Outcome o = NativeStderrCapture.run(() -> {
        built[0] = new CpuProgram(moduleText, sig);
        try {
          built[0].probe();
        } catch (RuntimeException e) {
          built[0].close();
          throw e;
        }
      });
      RuntimeException e = o.error();
      if (e == null) return built[0];
      if (TfErrors.isTensorFlow(e)) {
        throw new CompileException(TfErrors.codeOf(e), "TensorFlow refused the XlaCallModule graph for the module",
            TfErrors.compileDiagnostic(o.text(), e, moduleText));
      }
      if (e instanceof IllegalArgumentException) {
        throw new CompileException(Code.INVALID_ARGUMENT, "TensorFlow refused the XlaCallModule graph for the module",
            TfErrors.messageOf(e));
      }
      throw e;
    });
  }

  private CpuProgram(String moduleText, Signature sig) {
    this.signature = sig;
    this.moduleText = moduleText;
    String prefix = "p" + NODE_PREFIX.incrementAndGet() + "_";
    int n = sig.args().size();
    int m = sig.results().size();
    feeds = new Output<?>[n];
    fetches = new Output<?>[m];
    argTf = new TfTypes[n];
    argShapes = new org.tensorflow.ndarray.Shape[n];
    group = SessionGroup.acquire();
    graph = group.graph();
    try {
      Output<?>[] callInputs = new Output<?>[n];
      for (int i = 0; i < n; i++) {
        TensorType t = sig.args().get(i);
        argTf[i] = TfTypes.of(t.dtype());
        argShapes[i] = TfTypes.shape(t.shape());
        feeds[i] = graph.opBuilder("Placeholder", prefix + "x" + i, graph.baseScope())
            .setAttr("dtype", argTf[i].carrier()).setAttr("shape", argShapes[i]).build().output(0);
        callInputs[i] = argTf[i].needsBitcast() ? bitcast(prefix + "x" + i + "_bitcast", feeds[i], argTf[i].real()) : feeds[i];
      }
      DataType[] tout = new DataType[m];
      org.tensorflow.ndarray.Shape[] sout = new org.tensorflow.ndarray.Shape[m];
      for (int i = 0; i < m; i++) {
        tout[i] = TfTypes.of(sig.results().get(i).dtype()).real();
        sout[i] = TfTypes.shape(sig.results().get(i).shape());
      }
      GraphOperationBuilder b = graph.opBuilder("XlaCallModule", prefix + "call", graph.baseScope())
          .addInputList(callInputs)
          .setAttr("version", CALL_MODULE_VERSION)
          .setAttr("module", moduleText)
          .setAttr("Tout", tout)
          .setAttr("Sout", sout)
          .setAttr("platforms", new String[] {"CPU"})
          .setAttr("dim_args_spec", new String[0]);
      if (n == 0) b.setAttr("Tin", new DataType[0]); // cannot be inferred from an empty input list
      call = b.build();
      callName = prefix + "call";
      for (int i = 0; i < m; i++) {
        TfTypes tf = TfTypes.of(sig.results().get(i).dtype());
        fetches[i] = tf.needsBitcast() ? bitcast(prefix + "y" + i + "_bitcast", call.output(i), tf.carrier()) : call.output(i);
      }
      session = group.session();
    } catch (RuntimeException e) {
      group.release(); // the nodes built so far stay in the group's graph, unused
      throw e;
    }
    LIVE.incrementAndGet();
  }

  /** Runs {@link ParseProbe}'s copy of the module: TF parses and verifies it, nothing of it executes. */
  private void probe() {
    String text = ParseProbe.of(moduleText);
    if (text == null) return;
    GraphOperation node = graph.opBuilder("XlaCallModule", callName + "_probe", graph.baseScope())
        .addInputList(new Output<?>[0])
        .setAttr("Tin", new DataType[0])
        .setAttr("version", CALL_MODULE_VERSION)
        .setAttr("module", text)
        .setAttr("Tout", new DataType[0])
        .setAttr("Sout", new org.tensorflow.ndarray.Shape[0])
        .setAttr("platforms", new String[] {"CPU"})
        .setAttr("dim_args_spec", new String[0])
        .build();
    session.runner().setOptions(CALLER_THREAD).addTarget(node).run().close();
  }

  private Output<?> bitcast(String name, Output<?> in, DataType to) {
    return graph.opBuilder("Bitcast", name, graph.baseScope()).addInput(in).setAttr("type", to).build().output(0);
  }

  Signature signature() { return signature; }

  /**
   * Runs the module; arguments must already match the signature. The first successful run is also
   * where XLA compiles, so until then runs go to a large-stack thread, capture native stderr, and
   * report a failure as a {@link CompileException} with XLA's diagnostic, except running out of
   * memory, which is the program's run-time failure (a TensorFlow exception, as from any later run).
   * Later runs stay on the caller's thread: running compiled code does not recurse along the program
   * (a 5,000-op chain runs from a 512 KiB stack, see CpuRobustnessTest), and the hop to another
   * thread cost 0.08-0.1 ms of a ~0.3 ms call.
   */
  List<HostTensor> run(List<HostTensor> args) {
    if (compiled) return runHere(args);
    synchronized (firstRunLock) {
      if (compiled) return runHere(args);
      return NativeStack.call(() -> {
        List<List<HostTensor>> out = new ArrayList<>(1);
        var dumped = XlaDumpFiles.snapshot();
        NativeStderrCapture.Outcome o = NativeStderrCapture.run(() -> out.add(runHere(args)));
        RuntimeException e = o.error();
        if (e == null) {
          optimizedHlo = XlaDumpFiles.optimizedSince(dumped);
          compiled = true;
          return out.get(0);
        }
        if (!TfErrors.isTensorFlow(e) || TfErrors.codeOf(e) == Code.RESOURCE_EXHAUSTED) throw e;
        throw new CompileException(TfErrors.codeOf(e), "XLA CPU could not compile the module",
            TfErrors.compileDiagnostic(o.text(), e, moduleText));
      });
    }
  }

  private List<HostTensor> runHere(List<HostTensor> args) {
    lock.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("the CpuBackend that compiled this executable has been closed");
      }
      Tensor[] in = new Tensor[args.size()];
      try {
        Session.Runner r = session.runner().setOptions(CALLER_THREAD);
        for (int i = 0; i < in.length; i++) {
          in[i] = TfTensors.toTf(args.get(i), argTf[i], argShapes[i]);
          r.feed(feeds[i], in[i]);
        }
        if (fetches.length == 0) {
          r.addTarget(call).run().close(); // nothing to fetch: run the node for its effects only
          return List.of();
        }
        for (Output<?> f : fetches) r.fetch(f);
        try (Result res = r.run()) {
          List<HostTensor> out = new ArrayList<>(fetches.length);
          for (int i = 0; i < fetches.length; i++) out.add(TfTensors.fromTf(res.get(i), signature.results().get(i)));
          return out;
        }
      } finally {
        for (Tensor t : in) if (t != null) t.close();
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Takes one more reference; false when already closed (the caller must compile afresh). */
  synchronized boolean retain() {
    if (isClosed()) return false;
    refs++;
    return true;
  }

  /** Drops one reference, closing at zero; returns whether the program is now closed. */
  synchronized boolean release() {
    if (!isClosed() && --refs <= 0) close();
    return isClosed();
  }

  /** Frees the session and graph now, whatever the reference count (waits for runs in flight). */
  void close() {
    lock.writeLock().lock();
    try {
      if (closed) return;
      closed = true;
      group.release();
      LIVE.decrementAndGet();
    } finally {
      lock.writeLock().unlock();
    }
  }

  private boolean isClosed() {
    lock.readLock().lock();
    try {
      return closed;
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * XLA's optimized HLO of this module, once its first run compiled it and when the process dumps
   * (see {@link XlaDumpFiles}).
   */
  java.util.Optional<String> optimizedHlo() { return optimizedHlo; }
}
