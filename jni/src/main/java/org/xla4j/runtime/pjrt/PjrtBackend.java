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
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileException;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.XlaException;
import org.xla4j.types.Signature;
import org.xla4j.types.TensorType;

/**
 * A {@link Backend} over a PJRT plugin (CUDA, TPU, any PJRT C API plugin), through the native shim in
 * {@code native/}.
 *
 * <pre>{@code
 * try (PjrtBackend gpu = PjrtBackend.open(PjrtBackend.Options.defaults());
 *      Executable exe = gpu.compile(moduleText, CompileOptions.defaults())) {
 *   List<HostTensor> out = exe.execute(List.of(x, y));
 * }
 * }</pre>
 */
public final class PjrtBackend implements Backend {
  private static final Cleaner CLEANER = Cleaner.create();

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

  /** Memory statistics of a device; -1 where the plugin does not say. */
  public record MemoryStats(long bytesInUse, long peakBytesInUse, long bytesLimit) {}

  private final ClientState state;
  private final Cleaner.Cleanable cleanable;
  private final Path pluginPath;
  private final int apiMajor;
  private final int apiMinor;
  private final String platformName;
  private final String platformVersion;
  private final List<Device> devices;

  private PjrtBackend(ClientState state, Path pluginPath, int apiMajor, int apiMinor) {
    this.state = state;
    this.cleanable = CLEANER.register(this, state);
    this.pluginPath = pluginPath;
    this.apiMajor = apiMajor;
    this.apiMinor = apiMinor;
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
    return new PjrtBackend(new ClientState(c, plugin.getFileName().toString()), plugin, major, minor);
  }

  /** The plugin library this backend runs on. */
  public Path pluginPath() { return pluginPath; }

  /** PJRT C API version the plugin reports, as "major.minor". */
  public String apiVersion() { return apiMajor + "." + apiMinor; }

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

  /** Allocator statistics of a device. */
  public MemoryStats memoryStats(Device d) {
    int idx = indexOf(d);
    long[] out = new long[3];
    state.enter();
    try {
      ClientState.check(PjrtNative.x4j_device_memory_stats(state.client, idx, out));
    } finally {
      state.exit();
    }
    return new MemoryStats(out[0], out[1], out[2]);
  }

  @Override
  public PjrtExecutable compile(String stablehloText, CompileOptions options) {
    Signature sig = Backend.signatureOf(stablehloText);
    if (options.numDevices() != 1) {
      throw new UnsupportedOperationException("PJRT backend: multi-device execution is not implemented yet ("
          + options.numReplicas() + " replicas x " + options.numPartitions() + " partitions requested)");
    }
    int deviceIndex = options.deviceAssignment().isEmpty() ? 0 : indexOfId(options.deviceAssignment().get(0));
    boolean shardy = stablehloText.contains("sdy.");
    byte[] opts = PjrtCompileOptions.toProto(options, shardy).toByteArray();
    byte[] code = stablehloText.getBytes(StandardCharsets.UTF_8);
    state.enter();
    try (BytePointer pc = new BytePointer(code.length); BytePointer po = new BytePointer(Math.max(1, opts.length))) {
      pc.put(code);
      po.put(opts);
      Pointer exe = PjrtNative.x4j_compile(state.client, pc, code.length, "mlir", po, opts.length);
      if (exe == null || exe.isNull()) {
        XlaException e = ClientState.error();
        String msg = PjrtNative.lastMessage();
        throw new CompileException(e.code(), "PJRT compile failed on " + platformName, msg);
      }
      int nOut = PjrtNative.x4j_executable_num_outputs(state.client, exe);
      if (nOut < 0 || nOut != sig.results().size()) {
        XlaException e = nOut < 0 ? ClientState.error() : null;
        PjrtNative.x4j_executable_destroy(state.client, exe);
        if (e != null) throw e;
        throw new XlaException(XlaException.Code.INTERNAL, "compiled program has " + nOut
            + " outputs but @main declares " + sig.results().size() + " results " + sig.results());
      }
      return new PjrtExecutable(this, state, exe, sig, nOut, deviceIndex, CLEANER);
    } finally {
      state.exit();
    }
  }

  private int indexOfId(int id) {
    for (int i = 0; i < devices.size(); i++) if (devices.get(i).id() == id) return i;
    throw new IllegalArgumentException("no device with id " + id + "; devices: " + devices);
  }

  @Override
  public PjrtBuffer toDevice(HostTensor tensor, Device device) {
    int idx = indexOf(device);
    TensorType t = tensor.type();
    long n = t.byteSize();
    state.enter();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment seg = arena.allocate(Math.max(1, n), 64);
      tensor.copyTo(seg);
      Pointer h = PjrtNative.x4j_buffer_from_host(state.client, idx, seg.asByteBuffer(),
          PjrtTypes.toPjrt(t.dtype()), t.shape().dims(), t.rank());
      if (h == null || h.isNull()) throw ClientState.error();
      return new PjrtBuffer(state, h, t, device, idx, CLEANER);
    } finally {
      state.exit();
    }
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
    return "PjrtBackend[" + platformName + " " + platformVersion + ", API " + apiVersion() + ", " + devices + "]";
  }
}
