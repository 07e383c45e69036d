package org.xla4j.runtime.pjrt;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.MemoryStats;
import org.xla4j.runtime.CompileException;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.ProgramText;
import org.xla4j.runtime.X4jArtifact;
import org.xla4j.runtime.XlaException;
import org.xla4j.types.Signature;
import org.xla4j.types.TensorType;

/**
 * A {@link Backend} over a PJRT plugin (CUDA, TPU, any PJRT C API plugin), through the native shim in
 * {@code native/}.
 *
 * <pre>{@code
 * try (PjrtBackend gpu = PjrtBackend.open(PjrtBackend.Options.defaults());
 *      Executable exe = gpu.compile(program)) {
 *   List<HostTensor> out = exe.execute(List.of(x, y));
 * }
 * }</pre>
 */
public final class PjrtBackend implements Backend {
  private static final Cleaner CLEANER = Cleaner.create();
  /** PJRT_HostBufferSemantics_kImmutableOnlyDuringCall / kImmutableUntilTransferCompletes. */
  private static final int HOST_ONLY_DURING_CALL = 0;
  private static final int HOST_UNTIL_TRANSFER_COMPLETES = 1;
  /** Host-to-device copies up to this size are staged by the plugin during the call. */
  private static final long SMALL_TRANSFER = 1L << 20;
  private static final MemorySegment EMPTY = Arena.global().allocate(64, 64);
  private static final System.Logger LOG = System.getLogger(PjrtBackend.class.getName());

  /**
   * How to open a client.
   *
   * @param pluginPath plugin library, or null to search ({@link PjrtPlugins#find})
   * @param createOptions named client options passed to PJRT_Client_Create as given: String, Long/Integer,
   *     Double/Float, Boolean, or long[] (e.g. {@code memory_fraction}, {@code preallocate},
   *     {@code allocator}, {@code visible_devices} for the CUDA plugin)
   */
  public record Options(String pluginPath, Map<String, Object> createOptions) {
    public Options {
      createOptions = Map.copyOf(createOptions);
    }

    /** Search for a plugin; no preallocation of GPU memory. */
    public static Options defaults() { return new Options(null, Map.of("preallocate", false)); }

    public Options withPlugin(String path) { return new Options(path, createOptions); }

    /** Adds or replaces one create option. */
    public Options with(String name, Object value) {
      Map<String, Object> m = new LinkedHashMap<>(createOptions);
      m.put(name, value);
      return new Options(pluginPath, m);
    }

    /** GPU memory fraction the allocator may use (CUDA plugin's {@code memory_fraction}). */
    public Options memoryFraction(double f) { return with("memory_fraction", f); }

    public Options preallocate(boolean on) { return with("preallocate", on); }
  }

  private final ClientState state;
  private final Cleaner.Cleanable cleanable;
  private final Path pluginPath;
  private final int apiMajor;
  private final int apiMinor;
  private final String platformName;
  private final String platformVersion;
  private final Map<String, Object> attributes;
  private final List<Device> devices;
  private volatile PjrtCompileCache cache = PjrtCompileCache.fromEnvironment();

  private PjrtBackend(ClientState state, Path pluginPath, int apiMajor, int apiMinor, Map<String, Object> attributes) {
    this.state = state;
    this.cleanable = CLEANER.register(this, state);
    this.pluginPath = pluginPath;
    this.apiMajor = apiMajor;
    this.apiMinor = apiMinor;
    this.attributes = attributes;
    PjrtNative.Client c = state.client;
    this.platformName = PjrtNative.str(PjrtNative.x4j_client_platform_name(c));
    this.platformVersion = PjrtNative.str(PjrtNative.x4j_client_platform_version(c));
    int n = PjrtNative.x4j_client_num_devices(c);
    List<Device> ds = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ds.add(new Device(PjrtNative.x4j_device_id(c, i), PjrtNative.str(PjrtNative.x4j_device_kind(c, i)),
          PjrtNative.x4j_device_process_index(c, i)));
    }
    this.devices = List.copyOf(ds);
  }

  /** Loads the plugin (searching when no path is given) and creates a client. */
  public static PjrtBackend open(Options options) {
    Path plugin = PjrtPlugins.find(options.pluginPath()).orThrow().toAbsolutePath();
    try {
      PjrtNative.load();
    } catch (UnsatisfiedLinkError e) {
      throw new XlaException(XlaException.Code.FAILED_PRECONDITION,
          "the xla4j PJRT JNI library did not load (was it built? `./build install` builds it): " + e.getMessage(), e);
    }
    PjrtNative.Plugin p = PjrtNative.x4j_plugin_load(plugin.toString());
    if (p == null || p.isNull()) throw ClientState.error();
    int major = PjrtNative.x4j_plugin_api_major(p);
    int minor = PjrtNative.x4j_plugin_api_minor(p);
    Map<String, Object> attributes = readAttributes(p, plugin);
    Map<String, Object> opts = options.createOptions();
    int n = opts.size();
    String[] names = new String[n];
    String[] strs = new String[n];
    int[] kinds = new int[n];
    long[] ints = new long[n];
    double[] floats = new double[n];
    int i = 0;
    for (Map.Entry<String, Object> e : opts.entrySet()) {
      names[i] = e.getKey();
      strs[i] = "";
      Object v = e.getValue();
      switch (v) {
        case String s -> { kinds[i] = 0; strs[i] = s; }
        case Boolean b -> { kinds[i] = 4; ints[i] = b ? 1 : 0; }
        case Float f -> { kinds[i] = 3; floats[i] = f; }
        case Double d -> { kinds[i] = 3; floats[i] = d; }
        case Number num -> { kinds[i] = 1; ints[i] = num.longValue(); }
        case long[] list -> {
          kinds[i] = 2;
          StringBuilder sb = new StringBuilder();
          for (long x : list) sb.append(sb.isEmpty() ? "" : ",").append(x);
          strs[i] = sb.toString();
        }
        default -> throw new IllegalArgumentException("create option " + e.getKey() + ": unsupported value type "
            + v.getClass().getName());
      }
      i++;
    }
    PjrtNative.Client c;
    try (PointerPointer<BytePointer> pn = new PointerPointer<>(names.length == 0 ? new String[] {""} : names);
         PointerPointer<BytePointer> ps = new PointerPointer<>(strs.length == 0 ? new String[] {""} : strs)) {
      c = PjrtNative.x4j_client_create(p, n, pn, kinds, ps, ints, floats);
    }
    if (c == null || c.isNull()) throw ClientState.error();
    PjrtBackend b = new PjrtBackend(new ClientState(c, plugin.getFileName().toString()), plugin, major, minor, attributes);
    LOG.log(System.Logger.Level.DEBUG, () -> "opened " + b + " from " + plugin + "; plugin attributes " + attributes);
    return b;
  }

  /**
   * The plugin's attributes; empty (and logged) when its function table has no PJRT_Plugin_Attributes
   * or the call fails: they describe the plugin, and a plugin that cannot say still runs programs.
   */
  private static Map<String, Object> readAttributes(PjrtNative.Plugin p, Path plugin) {
    long[] size = new long[1];
    byte[] enc = PjrtNative.take(PjrtNative.x4j_plugin_attributes(p, size), size);
    if (enc == null) {
      XlaException e = ClientState.error();
      LOG.log(e.code() == XlaException.Code.UNIMPLEMENTED ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
          () -> plugin + ": " + e.getMessage() + "; no plugin attributes");
      return Map.of();
    }
    return NamedValues.decode(enc);
  }

  /** The plugin library this backend runs on. */
  public Path pluginPath() { return pluginPath; }

  /** PJRT C API version the plugin reports, as "major.minor". */
  @Override
  public String apiVersion() { return apiMajor + "." + apiMinor; }

  /** The plugin's {@code PJRT_Plugin_Attributes}, read when the backend opened (empty if it has none). */
  @Override
  public Map<String, Object> attributes() { return attributes; }

  @Override
  public String platformName() { return platformName; }

  @Override
  public String platformVersion() { return platformVersion; }

  @Override
  public List<Device> devices() { return devices; }

  int indexOf(Device d) {
    int i = devices.indexOf(Objects.requireNonNull(d, "device"));
    if (i < 0) throw new IllegalArgumentException(d + " is not a device of this PJRT backend; devices: " + devices);
    return i;
  }

  /** Allocator statistics of a device (always present on PJRT; -1 fields where the plugin does not say). */
  @Override
  public java.util.Optional<MemoryStats> memoryStats(Device d) {
    int idx = indexOf(d);
    long[] out = new long[3];
    state.enter();
    try {
      ClientState.check(PjrtNative.x4j_device_memory_stats(state.client, idx, out));
    } finally {
      state.exit();
    }
    return java.util.Optional.of(new MemoryStats(out[0], out[1], out[2]));
  }

  /** The on-disk compile cache this backend uses (see {@link PjrtCompileCache}; may be disabled). */
  public PjrtCompileCache compileCache() { return cache; }

  /** Uses another compile cache from now on (e.g. {@link PjrtCompileCache#disabled()}). */
  public void setCompileCache(PjrtCompileCache c) { this.cache = Objects.requireNonNull(c); }

  /**
   * Compiles a program in its partitioner's dialect, with its device counts, partitioner and result
   * shardings; consults the on-disk compile cache first and stores new results there. A program on
   * several devices (replicas x partitions) runs with {@link PjrtExecutable#executeSharded} or
   * {@link PjrtExecutable#executeOnDevices}.
   */
  @Override
  public PjrtExecutable compile(Program program, CompileOptions options) {
    return compile(ProgramText.of(program, program.partitioner().format()), options, true);
  }

  /**
   * Compiles external StableHLO text (see {@link Backend#compile(String, CompileOptions)}); result
   * shardings are those the plugin reports for the executable (PJRT's Shardings extension), else those
   * the text states, in GSPMD or Shardy form, as {@code ModuleText} reads them.
   */
  @Override
  public PjrtExecutable compile(String externalText, CompileOptions options) {
    return external(compile(ProgramText.external(externalText), options, true));
  }

  /** External text's result shardings come from the plugin where it reports them; a Program's are its own. */
  private static PjrtExecutable external(PjrtExecutable exe) {
    try {
      exe.describeResultsFromPlugin();
    } catch (RuntimeException e) {
      exe.close();
      throw e;
    }
    return exe;
  }

  /** Compiles without looking at or writing the compile cache. */
  public PjrtExecutable compileUncached(Program program, CompileOptions options) {
    return compile(ProgramText.of(program, program.partitioner().format()), options, false);
  }

  /** Compiles external text without looking at or writing the compile cache. */
  public PjrtExecutable compileUncached(String externalText, CompileOptions options) {
    return external(compile(ProgramText.external(externalText), options, false));
  }

  @Override
  public List<String> compileFacts(Program program, CompileOptions options) {
    return facts(ProgramText.of(program, program.partitioner().format()), options);
  }

  @Override
  public List<String> compileFacts(String externalText, CompileOptions options) {
    return facts(ProgramText.external(externalText), options);
  }

  private List<String> facts(ProgramText t, CompileOptions options) {
    byte[] opts = PjrtCompileOptions.toProto(t, options).toByteArray();
    String hash = X4jArtifact.sha256(t.text());
    String flags = System.getenv("XLA_FLAGS");
    List<String> out = new java.util.ArrayList<>();
    out.add("platform: " + platformName() + " " + platformVersion() + ", PJRT C API " + apiVersion() + ", plugin "
        + pluginPath());
    out.add("devices: " + devices());
    out.add("XLA flags in effect: debug-option overrides " + options.debugOptions() + " (per compile, in the options);"
        + " XLA_FLAGS=" + (flags == null ? "(unset)" : flags) + " (process-wide)");
    out.add("compile options (xla.CompileOptionsProto, " + opts.length + " bytes): "
        + PjrtCompileOptions.toProto(t, options).toString().replace('\n', ' ').strip());
    out.add("compile cache: " + (cache.enabled() ? cache.directory().orElseThrow() : "disabled"));
    out.add("compile-cache key: " + PjrtCompileCache.key(this, hash, opts) + " = sha-256 over (program sha-256 " + hash
        + ", the serialized options, platform name and version, API version, device kinds, XLA_FLAGS)");
    return out;
  }

  private PjrtExecutable compile(ProgramText t, CompileOptions options, boolean useCache) {
    Signature sig = t.signature();
    if (t.numDevices() > devices.size()) {
      throw new IllegalArgumentException("compile: " + t.numReplicas() + " replica(s) x " + t.numPartitions()
          + " partition(s) need " + t.numDevices() + " devices; this backend has " + devices.size() + " " + devices);
    }
    for (int id : options.deviceAssignment()) indexOfId(id);
    byte[] opts = PjrtCompileOptions.toProto(t, options).toByteArray();
    String hash = X4jArtifact.sha256(t.text());
    PjrtCompileCache c = useCache ? cache : PjrtCompileCache.disabled();
    String key = c.enabled() ? PjrtCompileCache.key(this, hash, opts) : null;
    if (key != null) {
      var hit = c.lookup(key);
      if (hit.isPresent()) {
        try {
          PjrtExecutable exe = load(hit.get());
          exe.describe(t);
          exe.rememberSource(t, options);
          return exe;
        } catch (RuntimeException e) {
          c.demote(); // stale or foreign entry: compile again and overwrite it
        }
      }
    }
    byte[] code = t.text().getBytes(StandardCharsets.UTF_8);
    PjrtExecutable exe;
    state.enter();
    try (BytePointer pc = new BytePointer(code.length); BytePointer po = new BytePointer(Math.max(1, opts.length))) {
      pc.put(code);
      po.put(opts);
      Pointer h = PjrtNative.x4j_compile(state.client, pc, code.length, "mlir", po, opts.length);
      if (h == null || h.isNull()) {
        XlaException e = ClientState.error();
        String msg = PjrtNative.lastMessage();
        throw new CompileException(e.code(), "PJRT compile failed on " + platformName, msg);
      }
      exe = adopt(h, sig, hash, opts);
    } finally {
      state.exit();
    }
    exe.describe(t);
    exe.rememberSource(t, options);
    if (key != null) {
      try {
        c.store(key, exe.toArtifact());
      } catch (RuntimeException e) {
        // a plugin that cannot serialize simply does not cache
      }
    }
    return exe;
  }

  /** Wraps a freshly compiled or loaded handle; destroys it when its output count disagrees with the signature. */
  private PjrtExecutable adopt(Pointer h, Signature sig, String hash, byte[] opts) {
    PjrtExecutable exe;
    try {
      exe = new PjrtExecutable(this, state, h, sig, CLEANER, hash, opts);
    } catch (RuntimeException e) {
      PjrtNative.x4j_executable_destroy(state.client, h);
      throw e;
    }
    if (exe.numOutputs() != sig.results().size()) {
      exe.close();
      throw new XlaException(XlaException.Code.INTERNAL, "compiled program has " + exe.numOutputs()
          + " outputs but @main declares " + sig.results().size() + " results " + sig.results());
    }
    return exe;
  }

  /**
   * Loads a compiled-program artifact (from {@code xla4j compile} or {@link PjrtExecutable#toArtifact}).
   *
   * @throws XlaException FAILED_PRECONDITION, naming both sides, when the artifact was compiled for
   *     another platform, plugin version or device kind
   */
  @Override
  public PjrtExecutable load(X4jArtifact a) {
    a.checkCompatible(this);
    byte[] bytes = a.executableNoCopy();
    state.enter();
    try (BytePointer pb = new BytePointer(Math.max(1, bytes.length))) {
      pb.put(bytes);
      Pointer h = PjrtNative.x4j_executable_deserialize(state.client, pb, bytes.length);
      if (h == null || h.isNull()) throw ClientState.error();
      PjrtExecutable exe = adopt(h, a.signature(), a.programHash(), a.compileOptions());
      exe.describe(a);
      return exe;
    } finally {
      state.exit();
    }
  }

  /**
   * The optimized HLO text XLA's own dump writes for a module: compiles it with {@code xla_dump_to} into a
   * temporary directory and returns the {@code after_optimizations} dump. A compiled executable gives
   * its optimized HLO without compiling again: {@link PjrtExecutable#optimizedHlo()}.
   */
  public String optimizedHloText(Program program, CompileOptions options) {
    return optimizedHloText(ProgramText.of(program, program.partitioner().format()), options);
  }

  /** As {@link #optimizedHloText(Program, CompileOptions)} for external text. */
  public String optimizedHloText(String externalText, CompileOptions options) {
    return optimizedHloText(ProgramText.external(externalText), options);
  }

  /** Compiles made only to read XLA's HLO dump (see {@link #optimizedHloText}), in this backend's life. */
  long secondCompiles() { return secondCompiles.get(); }

  private final java.util.concurrent.atomic.AtomicLong secondCompiles = new java.util.concurrent.atomic.AtomicLong();

  String optimizedHloText(ProgramText t, CompileOptions options) {
    secondCompiles.incrementAndGet();
    Path dir = null;
    try {
      dir = java.nio.file.Files.createTempDirectory("xla4j-hlo");
      Map<String, String> dbg = new LinkedHashMap<>(options.debugOptions());
      dbg.put("xla_dump_to", dir.toString());
      dbg.put("xla_dump_hlo_as_text", "true");
      compile(t, options.withDebugOptions(dbg), false).close();
      try (var files = java.nio.file.Files.list(dir)) {
        Path f = files.filter(p -> p.getFileName().toString().endsWith("after_optimizations.txt")).sorted().findFirst()
            .orElseThrow(() -> new XlaException(XlaException.Code.UNIMPLEMENTED,
                "the plugin wrote no after_optimizations.txt dump (does it honour xla_dump_to?)"));
        return java.nio.file.Files.readString(f);
      }
    } catch (java.io.IOException e) {
      throw new XlaException(XlaException.Code.INTERNAL, "optimized HLO dump: " + e.getMessage(), e);
    } finally {
      if (dir != null) deleteTree(dir);
    }
  }

  private static void deleteTree(Path dir) {
    try (var walk = java.nio.file.Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          java.nio.file.Files.deleteIfExists(p);
        } catch (java.io.IOException ignored) {
          // best effort
        }
      });
    } catch (java.io.IOException ignored) {
      // best effort
    }
  }

  private int indexOfId(int id) {
    for (int i = 0; i < devices.size(); i++) if (devices.get(i).id() == id) return i;
    throw new IllegalArgumentException("no device with id " + id + "; devices: " + devices);
  }

  @Override
  public PjrtBuffer toDevice(HostTensor tensor, Device device) {
    TensorType t = tensor.type();
    long n = t.byteSize();
    if (tensor.isNative()) {
      // a view of native memory (a mapped checkpoint): the transfer reads it in place, no copy; the
      // fence keeps the tensor (and so the owner of its memory) reachable until the plugin is done
      try {
        return toDevice(t, tensor.segment(), device);
      } finally {
        java.lang.ref.Reference.reachabilityFence(tensor);
      }
    }
    // a heap tensor: one copy into native memory, then the transfer reads that memory in place
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment seg = n >= PjrtBuffer.LARGE ? PjrtHostMemory.allocate(n, arena)
          : arena.allocate(Math.max(1, n), 64).asSlice(0, n);
      tensor.copyTo(seg);
      return toDevice(t, seg, device);
    }
  }

  /**
   * Copies {@code data} (exactly {@code type.byteSize()} bytes, little-endian, row-major) to a device.
   * A native segment of more than 1 MiB is read in place by the host-to-device transfer (PJRT
   * kImmutableUntilTransferCompletes: no staging copy on the caller's thread); smaller ones are copied
   * by the plugin during the call. Either way this returns once the plugin no longer reads
   * {@code data}, so the caller may then change or free it. A heap segment is first copied off-heap.
   */
  public PjrtBuffer toDevice(TensorType type, MemorySegment data, Device device) {
    int idx = indexOf(device);
    long n = type.byteSize();
    if (data.byteSize() != n) {
      throw new IllegalArgumentException("toDevice: " + type + " takes " + n + " bytes, the segment has " + data.byteSize());
    }
    if (!data.isNative()) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment seg = arena.allocate(Math.max(1, n), 64).asSlice(0, n);
        MemorySegment.copy(data, 0, seg, 0, n);
        return toDevice(type, seg, device);
      }
    }
    state.enter();
    try {
      // a zero-byte tensor still needs a valid address: point at a static scratch byte
      long addr = n == 0 ? EMPTY.address() : data.address();
      // small: let the plugin copy during the call (no wait for the DMA); large: it reads our memory
      // in place while the transfer runs (no staging copy), and we wait until it is done with it
      int semantics = n <= SMALL_TRANSFER ? HOST_ONLY_DURING_CALL : HOST_UNTIL_TRANSFER_COMPLETES;
      Pointer h = PjrtNative.x4j_buffer_from_host(state.client, idx, addr,
          PjrtTypes.toPjrt(type.dtype()), type.shape().dims(), type.rank(), semantics);
      if (h == null || h.isNull()) throw ClientState.error();
      return new PjrtBuffer(state, h, type, device, idx, CLEANER);
    } finally {
      state.exit();
    }
  }

  /**
   * Registers native memory for direct DMA (PJRT_Client_DmaMap; the CUDA plugin pins it): uploads from
   * inside the region then skip the plugin's staging copy. Empty when the plugin lacks the function.
   * Close the mapping before freeing or unmapping the memory.
   *
   * @throws XlaException when the plugin refuses the region (e.g. a read-only file mapping it cannot pin)
   */
  @Override
  public java.util.Optional<org.xla4j.runtime.DmaMapping> dmaMap(MemorySegment region) {
    if (!region.isNative() || region.byteSize() == 0) {
      throw new IllegalArgumentException("dmaMap: requires non-empty native memory, got " + region);
    }
    state.enter();
    try {
      if (PjrtNative.x4j_client_has_dma_map(state.client) == 0) return java.util.Optional.empty();
      ClientState.check(PjrtNative.x4j_dma_map(state.client, region.address(), region.byteSize()));
      return java.util.Optional.of(new PjrtDmaMapping(state, region, CLEANER));
    } finally {
      state.exit();
    }
  }

  /**
   * Uploads several tensors with their transfers in flight together: views of native memory start
   * without waiting (each reads its memory in place), then this waits until the plugin is done with
   * all of them; heap tensors go one by one through {@link #toDevice(HostTensor, Device)}.
   */
  @Override
  public List<org.xla4j.runtime.DeviceBuffer> toDevice(List<HostTensor> tensors, Device device) {
    int idx = indexOf(device);
    List<org.xla4j.runtime.DeviceBuffer> out = new ArrayList<>();
    List<Pointer> events = new ArrayList<>();
    RuntimeException failure = null;
    state.enter();
    try {
      for (HostTensor t : tensors) {
        if (!t.isNative() || t.type().byteSize() <= SMALL_TRANSFER) {
          out.add(toDevice(t, device));
          continue;
        }
        try (PointerPointer<Pointer> done = new PointerPointer<>(1)) {
          Pointer h = PjrtNative.x4j_buffer_from_host_async(state.client, idx, t.segment().address(),
              PjrtTypes.toPjrt(t.dtype()), t.shape().dims(), t.type().rank(), done);
          if (h == null || h.isNull()) throw ClientState.error();
          out.add(new PjrtBuffer(state, h, t.type(), device, idx, CLEANER));
          Pointer ev = done.get(0);
          if (ev != null && !ev.isNull()) events.add(ev);
        }
      }
    } catch (RuntimeException e) {
      failure = e;
    } finally {
      // every started transfer must be done with host memory before the tensors may be released
      for (Pointer ev : events) {
        if (PjrtNative.x4j_event_await(state.client, ev) != 0 && failure == null) failure = ClientState.error();
      }
      state.exit();
      java.lang.ref.Reference.reachabilityFence(tensors);
    }
    if (failure != null) {
      out.forEach(org.xla4j.runtime.DeviceBuffer::close);
      throw failure;
    }
    return out;
  }

  /** Copies {@code data} to the first device. */
  public PjrtBuffer toDevice(TensorType type, MemorySegment data) {
    return toDevice(type, data, devices.get(0));
  }

  /** Wraps a buffer the plugin returned (an execution result); the caller holds the client's read lock. */
  PjrtBuffer wrap(Pointer handle, TensorType type, int deviceIndex) {
    return new PjrtBuffer(state, handle, type, devices.get(deviceIndex), deviceIndex, CLEANER);
  }

  /** True once closed. */
  public boolean isClosed() { return state.isClosed(); }

  /** Frees every buffer and executable of this backend, then the client; idempotent. */
  @Override
  public void close() { cleanable.clean(); }

  @Override
  public String toString() {
    Object shlo = attributes.get("stablehlo_current_version");
    return "PjrtBackend[" + platformName + " " + platformVersion + ", API " + apiVersion()
        + (shlo == null ? "" : ", StableHLO " + stablehloVersion().map(Object::toString).orElse(String.valueOf(shlo)))
        + ", " + devices + "]";
  }
}
