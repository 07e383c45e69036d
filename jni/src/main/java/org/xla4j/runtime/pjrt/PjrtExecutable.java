package org.xla4j.runtime.pjrt;

import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.CompiledMemoryStats;
import org.xla4j.runtime.CostAnalysis;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.DeviceArray;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.ProgramText;
import org.xla4j.runtime.X4jArtifact;
import org.xla4j.runtime.XlaException;
import org.xla4j.sharding.Sharding;
import org.xla4j.types.Shape;
import org.xla4j.types.Signature;
import org.xla4j.types.TensorType;

/**
 * A program compiled by a PJRT plugin. Single-device programs run with {@link #execute},
 * {@link #executeBuffers} or the {@link Executable#call()} builder (per-argument donation); programs compiled
 * for several devices (replicas x partitions) run with {@link #executeOnDevices}.
 *
 * <pre>{@code
 * try (PjrtExecutable step = gpu.compile(decodeStep, CompileOptions.defaults())) {
 *   List<DeviceBuffer> out = step.call().donated(cache).arg(token).execute();
 * }
 * }</pre>
 */
public final class PjrtExecutable implements Executable {
  private static final AtomicLong LIVE = new AtomicLong();

  /** Native state; never references the outer object. */
  static final class State extends NativeChild {
    State(ClientState client, Pointer handle) { super(client, handle, LIVE); }

    @Override
    void destroy() { PjrtNative.x4j_executable_destroy(client.client, handle); }
  }

  /** The optimized program as the plugin returns it (e.g. format {@code hlo_with_config}: a serialized proto). */
  public record OptimizedProgram(String format, byte[] code) {}

  private final PjrtBackend backend;
  private final State state;
  private final Cleaner.Cleanable cleanable;
  private final Signature signature;
  private final int numOutputs;
  private final int numReplicas;
  private final int numPartitions;
  private final int[] deviceIndices; // client device index per execution slot
  private final String programHash;
  private final byte[] compileOptions;

  /** What this was compiled from and with (for {@link #optimizedHlo()}); null when loaded from an artifact. */
  private volatile Source source;

  private record Source(ProgramText text, CompileOptions options) {}

  /** What the compiled program states (see {@link #describe}): names, result shardings, sharding texts. */
  private volatile Description description;

  /** The program's names and shardings, from its Program, the external text's reader, or an artifact. */
  record Description(List<String> argPaths, List<String> resultPaths, List<Sharding> resultShardings,
      List<String> argShardingTexts, List<String> resultShardingTexts) {}

  PjrtExecutable(PjrtBackend backend, ClientState client, Pointer handle, Signature signature, Cleaner cleaner,
                 String programHash, byte[] compileOptions) {
    this.backend = backend;
    this.state = new State(client, handle);
    client.register(state);
    this.cleanable = cleaner.register(this, state);
    this.signature = signature;
    this.programHash = programHash;
    this.compileOptions = compileOptions.clone();
    long[] counts = new long[3];
    ClientState.check(PjrtNative.x4j_executable_counts(client.client, handle, counts));
    this.numReplicas = (int) counts[0];
    this.numPartitions = (int) counts[1];
    this.numOutputs = (int) counts[2];
    int[] idx = new int[Math.max(1, numReplicas * numPartitions) + 64];
    int n = PjrtNative.x4j_executable_devices(client.client, handle, idx, idx.length);
    if (n < 0) throw ClientState.error();
    this.deviceIndices = Arrays.copyOf(idx, Math.min(n, idx.length));
    for (int d : deviceIndices) {
      if (d < 0) throw new XlaException(XlaException.Code.INTERNAL, "executable runs on a device this client does not list");
    }
    int na = signature.args().size();
    int nr = signature.results().size();
    this.description = new Description(numbered("arg", na), numbered("out", nr),
        java.util.Collections.nCopies(nr, null), java.util.Collections.nCopies(na, ""), java.util.Collections.nCopies(nr, ""));
  }

  private static List<String> numbered(String prefix, int n) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(prefix + i);
    return out;
  }

  /** Takes names and shardings from what was compiled: a Program's own, or what external text states. */
  void describe(ProgramText t) {
    description = new Description(t.argPaths(), t.resultPaths(), t.resultShardings(), t.argShardingTexts(),
        t.resultShardingTexts());
  }

  private static final System.Logger LOG = System.getLogger(PjrtExecutable.class.getName());
  private static final java.util.concurrent.atomic.AtomicBoolean NO_PLUGIN_SHARDINGS_LOGGED =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * For external text: result shardings as the plugin reports them for the compiled executable (PJRT's
   * Shardings extension, {@code OutputShardings}), so they hold whether the text states them in GSPMD or
   * Shardy form; a result the plugin reports in a form without a mesh equivalent keeps the text's. Where
   * the plugin has no such extension, the text's shardings (as {@code ModuleText} reads them) stay, and
   * that is logged once per process.
   */
  void describeResultsFromPlugin() {
    Optional<List<byte[]>> protos = outputShardingProtos();
    Description d = description;
    if (protos.isEmpty()) {
      if (NO_PLUGIN_SHARDINGS_LOGGED.compareAndSet(false, true)) {
        LOG.log(System.Logger.Level.DEBUG, () -> "the PJRT plugin does not report output shardings ("
            + PjrtNative.lastMessage() + "); result shardings of external text are read from the text");
      }
      return;
    }
    List<TensorType> results = signature.results();
    if (protos.get().size() != results.size()) {
      LOG.log(System.Logger.Level.WARNING, () -> "the PJRT plugin reports " + protos.get().size()
          + " output sharding(s) for " + results.size() + " result(s); keeping the text's result shardings");
      return;
    }
    List<Sharding> rs = new ArrayList<>(d.resultShardings());
    for (int i = 0; i < results.size(); i++) {
      int index = i;
      try {
        Sharding s = OpShardings.toSharding(OpShardings.parse(protos.get().get(i), i), results.get(i).rank(),
            deviceIndices.length);
        if (s != null) rs.set(i, s);
      } catch (IllegalArgumentException | IllegalStateException e) {
        LOG.log(System.Logger.Level.WARNING, () -> "result " + index + ": the PJRT plugin's output sharding is not "
            + "usable (" + e.getMessage() + "); keeping the text's");
      }
    }
    description = new Description(d.argPaths(), d.resultPaths(), java.util.Collections.unmodifiableList(rs),
        d.argShardingTexts(), d.resultShardingTexts());
  }

  /** The outputs' serialized {@code xla.OpSharding}s as the plugin reports them; empty when it does not. */
  Optional<List<byte[]>> outputShardingProtos() {
    return whileOpen(() -> {
      long[] size = new long[1];
      byte[] enc = PjrtNative.take(PjrtNative.x4j_executable_output_shardings(state.client.client, state.handle, size), size);
      if (enc == null) return unlessUnimplemented(ClientState.error());
      return Optional.of(OpShardings.decodeList(enc));
    });
  }

  /** Takes result shardings from an artifact's sharding texts ({@code mhlo.sharding} form). */
  void describe(X4jArtifact a) {
    List<Sharding> rs = new ArrayList<>();
    for (X4jArtifact.Arg r : a.results()) rs.add(org.xla4j.program.ModuleText.gspmdSharding(r.sharding(), r.type().rank()));
    Description d = description;
    description = new Description(d.argPaths(), d.resultPaths(), rs,
        a.args().stream().map(X4jArtifact.Arg::sharding).toList(), a.results().stream().map(X4jArtifact.Arg::sharding).toList());
  }

  Description description() { return description; }

  /** Executables not yet freed, in this process (for leak tests). */
  public static long liveCount() { return LIVE.get(); }

  @Override
  public Signature signature() { return signature; }

  @Override
  public List<String> argPaths() { return description.argPaths(); }

  @Override
  public List<String> resultPaths() { return description.resultPaths(); }

  @Override
  public Backend backend() { return backend; }

  /** Results per device. */
  public int numOutputs() { return numOutputs; }

  public int numReplicas() { return numReplicas; }

  public int numPartitions() { return numPartitions; }

  /** Devices the program runs on, in the order {@link #executeOnDevices} takes argument lists. */
  public List<Device> devices() {
    List<Device> out = new ArrayList<>(deviceIndices.length);
    for (int i : deviceIndices) out.add(backend.devices().get(i));
    return out;
  }

  /** SHA-256 (hex) of the StableHLO text this was compiled from ("" when unknown). */
  public String programHash() { return programHash; }

  /** The serialized CompileOptionsProto this was compiled with. */
  public byte[] compileOptionsProto() { return compileOptions.clone(); }

  @Override
  public List<HostTensor> execute(List<HostTensor> args) {
    requireSingleDevice();
    Executable.checkArgs(signature, args.stream().map(HostTensor::type).toList());
    Device dev = backend.devices().get(deviceIndices[0]);
    List<DeviceBuffer> in = new ArrayList<>(args.size());
    List<DeviceBuffer> out = List.of();
    try {
      for (HostTensor t : args) in.add(backend.toDevice(t, dev));
      out = launch(List.of(in), new BitSet(), true).get(0);
      List<HostTensor> host = new ArrayList<>(out.size());
      for (DeviceBuffer b : out) host.add(b.toHost());
      return host;
    } finally {
      for (DeviceBuffer b : in) b.close();
      for (DeviceBuffer b : out) b.close();
    }
  }

  /** Runs on device buffers; results stay on the device; no argument is donated. */
  @Override
  public List<DeviceBuffer> executeBuffers(List<DeviceBuffer> args) {
    requireSingleDevice();
    return launch(List.of(args), new BitSet(), false).get(0);
  }

  /**
   * Runs on device buffers, donating the arguments at {@code donate}: their device memory may be
   * reused for results (where the program aliases them, e.g. {@code jax.buffer_donor = true} or
   * {@code tf.aliasing_output} on @main's argument) and the Java buffers are unusable afterwards.
   */
  @Override
  public List<DeviceBuffer> executeBuffers(List<DeviceBuffer> args, Set<Integer> donate) {
    requireSingleDevice();
    return launch(List.of(args), bits(donate, args.size()), false).get(0);
  }

  /**
   * Runs a multi-device program: one argument list per device, in {@link #devices()} order; returns
   * one result list per device (shapes as each device holds them, e.g. shards). Arguments at
   * {@code donate} are donated on every device.
   */
  public List<List<DeviceBuffer>> executeOnDevices(List<List<DeviceBuffer>> perDevice, Set<Integer> donate) {
    if (perDevice.size() != deviceIndices.length) {
      throw new IllegalArgumentException("execute: the program runs on " + deviceIndices.length + " device(s) "
          + devices() + ", got " + perDevice.size() + " argument list(s)");
    }
    int n = perDevice.isEmpty() ? 0 : perDevice.get(0).size();
    return launch(perDevice, bits(donate, n), false);
  }

  /**
   * Runs on device arrays. A program compiled for several devices takes shard {@code i} of every
   * argument on its device {@code i} (in {@link #devices()} order; put arguments with
   * {@code DeviceArray.put(backend, host, sharding, exe.devices())}). Results carry the shardings of
   * {@link #resultShardings()}; a result without one (or whose per-device shapes disagree with it)
   * comes back as per-device shards of unknown layout ({@link DeviceArray#sharding()} null).
   * {@link #executeSharded(List, Set, List)} takes them from the caller instead.
   */
  @Override
  public List<DeviceArray> executeSharded(List<DeviceArray> args, Set<Integer> donate) {
    List<Sharding> r = description.resultShardings();
    return run(args, donate, r.stream().allMatch(java.util.Objects::isNull) ? null : r, false);
  }

  /**
   * The results' shardings, null where unknown: a Program's own; for external text those the plugin
   * reports for the executable (PJRT's Shardings extension), else those it states
   * ({@code mhlo.sharding}, or {@code sdy.sharding} over a declared mesh, as {@code ModuleText} reads
   * them); for a loaded artifact those in its {@code mhlo.sharding} texts.
   */
  public List<Sharding> resultShardings() { return description.resultShardings(); }

  /**
   * As {@link #executeSharded(List, Set)}, with the result shardings (as the module's
   * {@code mhlo.sharding} / {@code sdy.sharding} on @main's results say; mesh device id {@code i} is
   * the program's device {@code i}). {@code resultShardings} may be null, or hold null for a result
   * of unknown layout. Each result's per-device shapes are checked against its sharding.
   *
   * <pre>{@code
   * List<DeviceArray> out = exe.executeSharded(List.of(x, b), Set.of(), List.of(Sharding.named(mesh, PartitionSpec.of("x", null))));
   * HostTensor y = out.get(0).toHost();
   * }</pre>
   */
  public List<DeviceArray> executeSharded(List<DeviceArray> args, Set<Integer> donate, List<Sharding> resultShardings) {
    return run(args, donate, resultShardings, true);
  }

  /** {@code strict}: shardings given by the caller must fit the results; the module's are used where they fit. */
  private List<DeviceArray> run(List<DeviceArray> args, Set<Integer> donate, List<Sharding> resultShardings,
      boolean strict) {
    if (resultShardings != null && resultShardings.size() != signature.results().size()) {
      throw new IllegalArgumentException("executeSharded: the program's @main has " + signature.results().size()
          + " result(s) " + signature.results() + ", got " + resultShardings.size() + " result sharding(s)");
    }
    if (deviceIndices.length == 1) return Executable.super.executeSharded(args, donate);
    Executable.checkDonation(donate, args.size());
    Executable.checkArgs(signature, args.stream().map(DeviceArray::type).toList());
    List<Device> devs = devices();
    List<List<DeviceBuffer>> perDevice = new ArrayList<>(devs.size());
    for (int d = 0; d < devs.size(); d++) perDevice.add(new ArrayList<>(args.size()));
    for (int i = 0; i < args.size(); i++) {
      DeviceArray a = args.get(i);
      if (a.shards().size() != devs.size()) {
        throw new IllegalArgumentException("executeSharded: the program runs on " + devs.size() + " devices " + devs
            + ", but argument " + i + " " + a + " has " + a.shards().size() + " shard(s)");
      }
      if (a.isDeleted()) {
        throw new IllegalArgumentException("executeSharded: argument " + i + " " + a + " was closed or donated");
      }
      for (int d = 0; d < devs.size(); d++) {
        DeviceBuffer b = a.shards().get(d);
        if (!b.device().equals(devs.get(d))) {
          throw new IllegalArgumentException("executeSharded: shard " + d + " of argument " + i + " lives on "
              + b.device() + " but the program runs its device " + d + " on " + devs.get(d)
              + "; put the argument on exe.devices() " + devs);
        }
        perDevice.get(d).add(b);
      }
    }
    List<List<DeviceBuffer>> out = executeOnDevices(perDevice, donate);
    List<DeviceArray> results = new ArrayList<>(numOutputs);
    try {
      for (int j = 0; j < numOutputs; j++) {
        List<DeviceBuffer> shards = new ArrayList<>(out.size());
        for (List<DeviceBuffer> row : out) shards.add(row.get(j));
        TensorType t = signature.results().get(j);
        Sharding sh = resultShardings == null ? null : resultShardings.get(j);
        try {
          results.add(sh == null ? DeviceArray.ofUnknownLayout(t, shards) : DeviceArray.of(t, sh, shards));
        } catch (IllegalArgumentException e) {
          if (strict) throw new IllegalArgumentException("executeSharded: result " + j + ": " + e.getMessage(), e);
          results.add(DeviceArray.ofUnknownLayout(t, shards));
        }
      }
    } catch (RuntimeException e) {
      for (List<DeviceBuffer> row : out) row.forEach(DeviceBuffer::close);
      throw e;
    }
    return results;
  }

  private void requireSingleDevice() {
    if (deviceIndices.length != 1) {
      throw new IllegalStateException("this program runs on " + deviceIndices.length
          + " devices; use executeOnDevices(perDeviceArgs, donate)");
    }
  }

  private static BitSet bits(Set<Integer> donate, int n) {
    BitSet b = new BitSet();
    for (int i : donate) {
      if (i < 0 || i >= n) throw new IllegalArgumentException("donate: argument " + i + " does not exist; " + n + " argument(s)");
      b.set(i);
    }
    return b;
  }

  private List<PjrtBuffer> check(List<DeviceBuffer> args, int slot, BitSet donate) {
    List<PjrtBuffer> in = new ArrayList<>(args.size());
    for (int i = 0; i < args.size(); i++) {
      if (!(args.get(i) instanceof PjrtBuffer pb) || pb.state().client != state.client) {
        throw new IllegalArgumentException("execute: argument " + i + " is not a buffer of this PJRT backend: " + args.get(i));
      }
      if (pb.deviceIndex() != deviceIndices[slot]) {
        throw new IllegalArgumentException("execute: argument " + i + " lives on " + pb.device()
            + " but the program runs it on " + backend.devices().get(deviceIndices[slot]));
      }
      in.add(pb);
    }
    if (deviceIndices.length == 1) {
      Executable.checkArgs(signature, in.stream().map(PjrtBuffer::type).toList());
    } else if (in.size() != signature.args().size()) {
      throw new IllegalArgumentException("execute: the program's @main takes " + signature.args().size()
          + " argument(s), got " + in.size() + " on device " + slot);
    }
    for (int i = donate.nextSetBit(0); i >= 0; i = donate.nextSetBit(i + 1)) {
      for (int j = 0; j < in.size(); j++) {
        if (j != i && in.get(j) == in.get(i)) {
          throw new IllegalArgumentException("execute: argument " + i + " is donated but also passed as argument " + j);
        }
      }
    }
    return in;
  }

  /**
   * Launches the program on every device slot. {@code await}: block until the devices finished
   * (errors of the run are thrown here); otherwise results are returned at once and reads wait.
   */
  private List<List<DeviceBuffer>> launch(List<List<DeviceBuffer>> perDevice, BitSet donate, boolean await) {
    int nd = perDevice.size();
    List<List<PjrtBuffer>> in = new ArrayList<>(nd);
    for (int d = 0; d < nd; d++) in.add(check(perDevice.get(d), d, donate));
    int nArgs = in.isEmpty() ? 0 : in.get(0).size();
    long[] keep = new long[nArgs];
    int nKeep = 0;
    for (int i = 0; i < nArgs; i++) if (!donate.get(i)) keep[nKeep++] = i;
    // nKeep == 0 means "every argument may be donated"; the shim passes an empty list then.
    List<List<DeviceBuffer>> out = new ArrayList<>(nd);
    state.client.enter();
    try (PointerPointer<Pointer> argv = new PointerPointer<>(Math.max(1, nd * nArgs));
         PointerPointer<Pointer> outv = new PointerPointer<>(Math.max(1, nd * numOutputs))) {
      if (state.isFreed()) throw new IllegalStateException("PjrtExecutable is closed");
      for (int d = 0; d < nd; d++) {
        for (int i = 0; i < nArgs; i++) argv.put((long) d * nArgs + i, in.get(d).get(i).handleForUse());
      }
      // device index -1: run where the program was compiled for (naming a device would need a
      // "portable" executable, which the CUDA plugin refuses for ordinary compiles)
      ClientState.check(PjrtNative.x4j_execute(state.client.client, state.handle, -1,
          nd, argv, nArgs, outv, numOutputs, keep, nKeep, await ? 1 : 0));
      // donated inputs: note whether the runtime took them, then release our handles (still under the lock)
      for (int i = donate.nextSetBit(0); i >= 0; i = donate.nextSetBit(i + 1)) {
        for (List<PjrtBuffer> row : in) row.get(i).state().donate();
      }
      for (int d = 0; d < nd; d++) {
        List<DeviceBuffer> row = new ArrayList<>(numOutputs);
        for (int i = 0; i < numOutputs; i++) {
          Pointer h = outv.get((long) d * numOutputs + i);
          TensorType t = nd == 1 ? signature.results().get(i) : typeOf(h);
          row.add(backend.wrap(h, t, deviceIndices[d]));
        }
        out.add(row);
      }
    } finally {
      state.client.exit();
    }
    return out;
  }

  private TensorType typeOf(Pointer h) {
    int et = PjrtNative.x4j_buffer_element_type(state.client.client, h);
    if (et < 0) throw ClientState.error();
    long[] dims = new long[64];
    int r = PjrtNative.x4j_buffer_dimensions(state.client.client, h, dims, dims.length);
    if (r < 0) throw ClientState.error();
    return new TensorType(PjrtTypes.fromPjrt(et), Shape.of(Arrays.copyOf(dims, r)));
  }

  /** Keeps the program and options this was compiled from, so {@link #secondCompileHlo()} can compile it again. */
  void rememberSource(ProgramText text, CompileOptions options) { this.source = new Source(text, options); }

  /** The plugin's serialization of this executable (loads only on the same plugin version). */
  @Override
  public byte[] serialize() {
    return whileOpen(() -> {
      long[] size = new long[1];
      byte[] out = PjrtNative.take(PjrtNative.x4j_executable_serialize(state.client.client, state.handle, size), size);
      if (out == null) throw ClientState.error();
      return out;
    });
  }

  /**
   * The optimized program after XLA's passes, where the plugin supports it (the CUDA plugin returns
   * format {@code hlo_with_config}, a serialized HloModuleProtoWithConfig). As text: {@link #optimizedHlo()}
   * (or {@link HloText#print(String, byte[])}).
   *
   * @throws XlaException with code UNIMPLEMENTED when the plugin does not support it
   */
  public OptimizedProgram optimizedProgram() {
    return whileOpen(() -> {
      long[] size = new long[1];
      byte[] fmt = new byte[128];
      byte[] out = PjrtNative.take(
          PjrtNative.x4j_executable_optimized_program(state.client.client, state.handle, size, fmt, fmt.length), size);
      if (out == null) throw ClientState.error();
      int len = 0;
      while (len < fmt.length && fmt[len] != 0) len++;
      return new OptimizedProgram(new String(fmt, 0, len, StandardCharsets.UTF_8), out);
    });
  }

  /** Serializes this executable with its signature, shardings, hash and compile options (see {@link X4jArtifact}). */
  @Override
  public X4jArtifact toArtifact() {
    Description d = description;
    List<String> argSh = d.argShardingTexts();
    List<String> resSh = d.resultShardingTexts();
    List<X4jArtifact.Arg> args = new ArrayList<>();
    for (int i = 0; i < signature.args().size(); i++) args.add(new X4jArtifact.Arg(signature.args().get(i), argSh.get(i)));
    List<X4jArtifact.Arg> res = new ArrayList<>();
    for (int i = 0; i < signature.results().size(); i++) res.add(new X4jArtifact.Arg(signature.results().get(i), resSh.get(i)));
    return new X4jArtifact(X4jArtifact.FORMAT_VERSION, backend.platformName(), backend.platformVersion(),
        backend.apiVersion(), backend.devices().get(0).kind(),
        programHash, args, res, compileOptions, serialize(),
        numReplicas, numPartitions, "xla4j 0.1.0");
  }

  /** First line of {@link #optimizedHlo()} when it comes from the plugin's optimized program. */
  static final String FROM_PROGRAM = "// optimized HLO from PJRT_Executable_OptimizedProgram (format %s), printed by xla4j; no second compile";

  /** First line of {@link #optimizedHlo()} when it comes from a second compile. */
  static final String FROM_SECOND_COMPILE = "// optimized HLO from a second compile with xla_dump_to: %s";

  /**
   * The optimized HLO text, printed from the plugin's optimized program ({@link #optimizedProgram()},
   * format {@code hlo_with_config} or {@code hlo}) by {@link HloText}: no second compile, and available
   * for executables loaded from an artifact too. Its first line is a {@code //} comment naming the
   * source. Only where the plugin does not implement {@code PJRT_Executable_OptimizedProgram} (or returns
   * another format, or bytes {@link HloText} cannot read) is the source compiled once more with XLA's HLO dump switched on, and the comment says
   * so; empty then for an executable loaded from an artifact (no source to compile) and where the plugin
   * writes no dump either.
   *
   * <pre>{@code
   * HloSummary s = HloSummary.read(exe.optimizedHlo().orElseThrow());
   * }</pre>
   */
  @Override
  public Optional<String> optimizedHlo() {
    String why;
    try {
      OptimizedProgram p = optimizedProgram();
      if (HloText.supports(p.format())) {
        return Optional.of(String.format(FROM_PROGRAM, p.format()) + "\n" + HloText.print(p.format(), p.code()));
      }
      why = "the plugin's optimized program has format '" + p.format() + "', not HLO";
    } catch (IllegalArgumentException e) {
      // bytes our proto subset cannot read (a field XLA changed the type of): XLA's own dump still can
      why = "its optimized program could not be read (" + e.getMessage() + ")";
    } catch (XlaException e) {
      if (e.code() != XlaException.Code.UNIMPLEMENTED) throw e;
      why = "the plugin does not implement PJRT_Executable_OptimizedProgram (" + e.getMessage() + ")";
    }
    try {
      String reason = why.replaceAll("\\s+", " "); // one comment line
      return secondCompileHlo().map(t -> String.format(FROM_SECOND_COMPILE, reason) + "\n" + t);
    } catch (XlaException e) {
      if (e.code() == XlaException.Code.UNIMPLEMENTED) return Optional.empty(); // nor does it honour xla_dump_to
      throw e;
    }
  }

  /**
   * The optimized HLO as XLA's own dump writes it, from compiling the source once more with
   * {@code xla_dump_to}: the fallback of {@link #optimizedHlo()}, and the reference its printer is
   * compared with in tests. Empty for an executable loaded from an artifact.
   */
  Optional<String> secondCompileHlo() {
    Source s = source;
    return s == null ? Optional.empty() : Optional.of(backend.optimizedHloText(s.text(), s.options()));
  }

  /**
   * XLA's cost properties ({@code PJRT_Executable_GetCostAnalysis}); empty when the plugin's function
   * table has no such entry.
   */
  @Override
  public Optional<CostAnalysis> costAnalysis() {
    return whileOpen(() -> {
      long[] size = new long[1];
      byte[] enc = PjrtNative.take(PjrtNative.x4j_executable_cost_analysis(state.client.client, state.handle, size), size);
      if (enc == null) return unlessUnimplemented(ClientState.error());
      return Optional.of(new CostAnalysis(NamedValues.decode(enc)));
    });
  }

  /**
   * The compiled program's memory needs ({@code PJRT_Executable_GetCompiledMemoryStats}); empty when the
   * plugin's function table has no such entry. Peak and total read -1 where the plugin left them 0
   * (plugins older than those fields).
   */
  @Override
  public Optional<CompiledMemoryStats> compiledMemoryStats() {
    return whileOpen(() -> {
      long[] o = new long[12];
      int rc = PjrtNative.x4j_executable_memory_stats(state.client.client, state.handle, o);
      if (rc != 0) return unlessUnimplemented(ClientState.error());
      return Optional.of(new CompiledMemoryStats(o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9],
          o[10] == 0 ? -1 : o[10], o[11] == 0 ? -1 : o[11]));
    });
  }

  /** Runs {@code body} on the live native handle, under the client's read lock. */
  private <T> T whileOpen(java.util.function.Supplier<T> body) {
    state.client.enter();
    try {
      if (state.isFreed()) throw new IllegalStateException("PjrtExecutable is closed");
      return body.get();
    } finally {
      state.client.exit();
    }
  }

  /** Empty for a plugin that lacks the function; any other failure is thrown. */
  private static <T> Optional<T> unlessUnimplemented(XlaException e) {
    if (e.code() == XlaException.Code.UNIMPLEMENTED) return Optional.empty();
    throw e;
  }

  @Override
  public void close() { cleanable.clean(); }

  @Override
  public String toString() {
    return "PjrtExecutable[" + signature + ", " + numReplicas + "x" + numPartitions + " on " + devices() + "]";
  }
}
