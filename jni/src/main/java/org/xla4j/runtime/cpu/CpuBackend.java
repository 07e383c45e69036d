package org.xla4j.runtime.cpu;

import java.lang.ref.Cleaner;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.tensorflow.TensorFlow;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileException;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.ProgramText;
import org.xla4j.runtime.X4jArtifact;
import org.xla4j.sharding.ShardingFormat;
import org.xla4j.types.Signature;

/**
 * The embedded backend: XLA's CPU compiler as shipped inside TensorFlow Java. Needs no plugin and no
 * flags; one device (this process). Usually opened with {@code Backends.open("cpu")}.
 *
 * <pre>{@code
 * try (Backend cpu = new CpuBackend();
 *      Executable exe = cpu.compile(program)) {
 *   HostTensor y = exe.execute(x).get(0);
 * }
 * }</pre>
 *
 * <p>Compiling the same text again reuses the compiled program (a cache of the last
 * {@value #CACHE_SIZE} modules). {@link CompileOptions#debugOptions()} are ignored: TensorFlow reads
 * XLA flags once per process, from the {@code XLA_FLAGS} environment variable. Set
 * {@code XLA4J_VERBOSE} to see what TensorFlow prints while compiling.
 */
public final class CpuBackend implements Backend {
  /** One Cleaner thread for every native-owning object of this backend. */
  static final Cleaner CLEANER = Cleaner.create();
  /** Compiled modules kept for reuse after their executables are closed. */
  public static final int CACHE_SIZE = 64;

  private static final AtomicInteger LIVE = new AtomicInteger();

  /**
   * The XLA_FLAGS this process's TensorFlow sees: the environment's, plus what we add (NaN-correct
   * min/max; XLA's dump when {@link org.xla4j.runtime.Backends#requestCpuXlaDump} asked for it before this
   * class initialized).
   */
  private static final String XLA_FLAGS;

  static {
    // before TensorFlow's native library loads: its INFO/WARNING logs would flood stderr; the
    // user's own setting wins (setenv with overwrite = 0)
    String flags = System.getenv("XLA_FLAGS");
    flags = flags == null ? "" : flags.trim();
    // TF 2.18's XLA CPU defaults to fast min/max, where max(1, NaN) = 1; StableHLO says NaN.
    if (!flags.contains("xla_cpu_enable_fast_min_max")) flags = (flags + " --xla_cpu_enable_fast_min_max=false").trim();
    String dumpTo = System.getProperty(org.xla4j.runtime.Backends.CPU_XLA_DUMP_TO);
    if (dumpTo != null && !dumpTo.isBlank() && !flags.contains("--xla_dump_to=")) {
      flags += " --xla_dump_to=" + dumpTo + " --xla_dump_hlo_as_text";
      String passes = System.getProperty(org.xla4j.runtime.Backends.CPU_XLA_DUMP_PASS_RE);
      if (passes != null && !passes.isBlank()) flags += " --xla_dump_hlo_pass_re=" + passes;
    }
    try {
      Libc.setenvIfUnset("TF_CPP_MIN_LOG_LEVEL", "2");
      Libc.setenvOverwrite("XLA_FLAGS", flags);
    } catch (RuntimeException | LinkageError e) {
      // no native access: TensorFlow just logs more, and sees the environment's XLA_FLAGS only
      flags = System.getenv("XLA_FLAGS") == null ? "" : System.getenv("XLA_FLAGS");
    }
    XLA_FLAGS = flags;
    System.setProperty(org.xla4j.runtime.Backends.CPU_FLAGS_FIXED, "true");
  }

  /** The {@code XLA_FLAGS} TensorFlow reads in this process (fixed once this class has initialized). */
  public static String xlaFlags() { return XLA_FLAGS; }

  private final Device device = new Device(0, "cpu", 0);
  private final State state = new State();
  private final Cleaner.Cleanable cleanable;

  /** Opens the backend. TensorFlow's native library loads on first use (about a second). */
  public CpuBackend() {
    LIVE.incrementAndGet();
    cleanable = CLEANER.register(this, state);
  }

  /** Cache key: the module text's SHA-256 and its signature. */
  private record Key(String sha256, Signature signature) {}

  /**
   * The backend's native state, and what its Cleaner runs. Static and never referring to the
   * backend object, so the backend can become unreachable and be cleaned.
   */
  static final class State implements Runnable {
    private final LinkedHashMap<Key, CpuProgram> cache = new LinkedHashMap<>(16, 0.75f, true); // LRU order
    private final Set<CpuProgram> programs = new HashSet<>(); // every program not yet closed
    private volatile boolean closed; // written under the lock; volatile for toString
    private long hits;

    /** Called when an executable's release closed its program. */
    synchronized void forget(CpuProgram p) { programs.remove(p); }

    @Override
    public synchronized void run() {
      closed = true;
      for (CpuProgram p : programs) p.close();
      programs.clear();
      cache.clear();
      LIVE.decrementAndGet();
    }
  }

  // ---------------------------------------------------------------- leak-test counters

  /** CpuBackends neither closed nor cleaned, in this process. */
  public static int liveBackends() { return LIVE.get(); }

  /** CPU executables neither closed nor cleaned, in this process. */
  public static int liveExecutables() { return CpuExecutable.LIVE.get(); }

  /** CPU device buffers neither closed nor donated, in this process (no Cleaner: they hold no native memory). */
  public static int liveBuffers() { return CpuBuffer.LIVE.get(); }

  /** Compiled programs (TF graph + session) whose native memory is not yet freed, in this process. */
  public static int livePrograms() { return CpuProgram.live(); }

  /** How many compiles of this backend were answered from its cache. */
  public long cacheHits() {
    synchronized (state) {
      return state.hits;
    }
  }

  /** How many compiled programs this backend's cache holds. */
  public int cachedPrograms() {
    synchronized (state) {
      return state.cache.size();
    }
  }

  // ---------------------------------------------------------------- Backend

  @Override
  public String platformName() { return "cpu"; }

  @Override
  public String platformVersion() { return "XLA CPU in TensorFlow " + TensorFlow.version(); }

  @Override
  public List<Device> devices() { return List.of(device); }

  /**
   * Compiles a one-device program: its unsharded text ({@link ShardingFormat#NONE}), donation
   * attributes included. The module is parsed and verified here; XLA generates its code on the first
   * execute, which reports a failure to do so as a {@link CompileException} too.
   *
   * @throws CompileException with MLIR's diagnostic when XLA refuses the module
   * @throws UnsupportedOperationException when the program runs on more than one device
   */
  @Override
  public Executable compile(Program program, CompileOptions options) {
    Objects.requireNonNull(program, "program");
    checkSingleDevice(program.numReplicas(), program.numPartitions(), "program '" + program.name() + "'",
        "Compile it for one device (no mesh), or use a PJRT backend (Backends.open(\"pjrt:/path/to/plugin.so\")).");
    return compile(ProgramText.of(program, ShardingFormat.NONE));
  }

  /**
   * Compiles external single-device StableHLO text, without running it (see
   * {@link #compile(Program, CompileOptions)}).
   *
   * @throws CompileException with MLIR's diagnostic when the module does not parse or compile
   * @throws UnsupportedOperationException when the module states more than one replica or partition
   */
  @Override
  public Executable compile(String externalText, CompileOptions options) {
    Objects.requireNonNull(externalText, "externalText");
    ProgramText t = ProgramText.external(externalText);
    checkSingleDevice(t.numReplicas(), t.numPartitions(), "the module",
        "Export it for one device, or run it on a PJRT backend (--backend pjrt[:PLUGIN]).");
    return compile(t);
  }

  private Executable compile(ProgramText t) {
    Signature sig = t.signature();
    Key key = new Key(X4jArtifact.sha256(t.text()), sig);
    synchronized (state) {
      checkOpen();
      CpuProgram p = state.cache.get(key);
      if (p != null && p.retain()) {
        state.hits++;
        return new CpuExecutable(this, state, p, t.argPaths(), t.resultPaths());
      }
      p = CpuProgram.compile(t.text(), sig);
      state.programs.add(p);
      p.retain(); // the cache's reference
      state.cache.put(key, p);
      p.retain(); // the executable's reference
      evictBeyondCacheSize();
      return new CpuExecutable(this, state, p, t.argPaths(), t.resultPaths());
    }
  }

  @Override
  public List<String> compileFacts(Program program, CompileOptions options) {
    return facts(ProgramText.of(program, ShardingFormat.NONE), options);
  }

  @Override
  public List<String> compileFacts(String externalText, CompileOptions options) {
    return facts(ProgramText.external(externalText), options);
  }

  private List<String> facts(ProgramText t, CompileOptions options) {
    return List.of(
        "platform: " + platformName() + " " + platformVersion() + " (XLA CPU compiler inside TensorFlow's XlaCallModule)",
        "XLA flags in effect: XLA_FLAGS=" + XLA_FLAGS
            + " (read once per process when TensorFlow loads; per-compile options are not passed to it)",
        "debug options given: " + options.debugOptions() + (options.debugOptions().isEmpty() ? "" : " (ignored by this backend)"),
        "compile cache: in memory, the last " + CACHE_SIZE + " modules, keyed by (sha-256 of the text it compiles, signature)",
        "compile-cache key: sha-256 " + X4jArtifact.sha256(t.text()) + ", signature " + t.signature().args() + " -> "
            + t.signature().results());
  }

  @Override
  public DeviceBuffer toDevice(HostTensor tensor, Device target) {
    Objects.requireNonNull(tensor, "tensor");
    if (!device.equals(target)) {
      throw new IllegalArgumentException("the CPU backend has one device, " + device + "; got " + target);
    }
    synchronized (state) {
      checkOpen();
    }
    // a view of native memory (a mapped file, a staging buffer) may be freed once this returns, as on
    // every backend: the "device" copy must be our own
    HostTensor own = tensor.isNative() ? HostTensor.ofSegment(tensor.type(), tensor.segment()) : tensor;
    return new CpuBuffer(own, device);
  }

  /** Frees every compiled program; executables of this backend fail cleanly afterwards. Idempotent. */
  @Override
  public void close() { cleanable.clean(); }

  @Override
  public String toString() { return "CpuBackend(" + (state.closed ? "closed" : "open") + ")"; }

  // ---------------------------------------------------------------- helpers

  private void checkOpen() { // caller holds state's lock
    if (state.closed) throw new IllegalStateException("this CpuBackend has been closed");
  }

  private void evictBeyondCacheSize() { // caller holds state's lock
    Iterator<Map.Entry<Key, CpuProgram>> it = state.cache.entrySet().iterator();
    while (state.cache.size() > CACHE_SIZE && it.hasNext()) {
      CpuProgram old = it.next().getValue();
      it.remove();
      if (old.release()) state.programs.remove(old);
    }
  }

  private static void checkSingleDevice(int replicas, int partitions, String what, String wayOut) {
    if (replicas > 1 || partitions > 1) {
      throw new org.xla4j.runtime.DeviceCountException("cpu", replicas, partitions, 1,
          "the embedded CPU backend runs on one device; " + what + " runs "
          + replicas + " replica(s) x " + partitions + " partition(s). " + wayOut);
    }
  }
}
