package org.xla4j.runtime;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xla4j.program.Program;
import org.xla4j.types.StableHloVersion;

/**
 * A place that compiles and runs StableHLO programs: the embedded XLA CPU compiler, or a PJRT plugin.
 * Open one with {@link Backends#open(String)}; close it when done (it owns native memory).
 *
 * <pre>{@code
 * Program program = g.program(x.matmul(w));
 * try (Backend cpu = Backends.open("cpu");
 *      Executable exe = cpu.compile(program)) {
 *   List<HostTensor> out = exe.execute(List.of(x, w));
 * }
 * }</pre>
 *
 * <p>Some capabilities are optional, with the same call on every backend: {@link #load} of a
 * {@code .x4j} artifact and {@link Executable#serialize()} throw {@link UnsupportedOperationException}
 * naming the backend where it has none; {@link #attributes()}, {@link #stablehloVersion()},
 * {@link Executable#optimizedHlo()}, {@link Executable#costAnalysis()} and
 * {@link Executable#compiledMemoryStats()} are empty there.
 */
public interface Backend extends AutoCloseable {
  /** Platform name as the backend reports it, e.g. {@code cpu}, {@code cuda}. */
  String platformName();

  /** Platform version string (compiler or plugin version). */
  String platformVersion();

  /** The platform {@link #platformName()} names, as a type to compare. */
  default Platform platform() { return Platform.parse(platformName()); }

  /**
   * Version of the interface the backend reaches its compiler through: the PJRT C API version as
   * {@code major.minor} for a plugin; empty for the embedded CPU backend.
   */
  default String apiVersion() { return ""; }

  /**
   * What the compiler says about itself, by name ({@code PJRT_Plugin_Attributes} for a plugin: e.g.
   * {@code xla_version}, {@code stablehlo_current_version}, {@code stablehlo_minimum_version}); read once
   * when the backend opens. Values are {@code String}, {@code Long}, {@code List<Long>}, {@code Double}
   * or {@code Boolean}. Empty where the backend reports none.
   */
  default Map<String, Object> attributes() { return Map.of(); }

  /**
   * The newest StableHLO version the compiler reads (attribute {@code stablehlo_current_version}), to
   * tell the printer what it targets ({@code EmitOptions.withTarget}). Empty where not reported.
   */
  default Optional<StableHloVersion> stablehloVersion() { return versionAttribute(attributes(), "stablehlo_current_version"); }

  /** The oldest StableHLO version the compiler still reads (attribute {@code stablehlo_minimum_version}). */
  default Optional<StableHloVersion> stablehloMinimumVersion() { return versionAttribute(attributes(), "stablehlo_minimum_version"); }

  /** Addressable devices, in the order device ids are given to {@link CompileOptions}. */
  List<Device> devices();

  /**
   * Compiles a program. Its device counts, partitioner, result shardings and argument/result names
   * come from the program; {@code options} adds only the device assignment and debug options.
   *
   * @throws CompileException carrying XLA's own diagnostic when XLA refuses the program
   */
  Executable compile(Program program, CompileOptions options);

  /** Compiles a program on the backend's first devices. */
  default Executable compile(Program program) {
    return compile(program, CompileOptions.defaults());
  }

  /**
   * Compiles StableHLO text that xla4j did not build (e.g. a JAX export, {@code xla4j exec FILE.mlir}).
   * Its {@code @main} signature, device counts ({@code mhlo.num_partitions}/{@code mhlo.num_replicas})
   * and sharding dialect are read by {@link org.xla4j.program.ModuleText}; arguments are named
   * {@code arg0, ...} and results {@code out0, ...}. Programs built with the DSL go through
   * {@link #compile(Program, CompileOptions)}.
   *
   * @throws CompileException carrying XLA's own diagnostic when the text does not parse or compile
   */
  Executable compile(String externalText, CompileOptions options);

  /**
   * Loads a compiled-program artifact ({@code xla4j compile}, {@link Executable#toArtifact}) made for this
   * backend's platform, compiler version and device kind.
   *
   * @throws UnsupportedOperationException where the backend cannot load compiled programs (the
   *     embedded CPU backend)
   * @throws XlaException FAILED_PRECONDITION, naming both sides, when the artifact was compiled for
   *     another platform, compiler version or device kind
   */
  default Executable load(X4jArtifact artifact) {
    throw new UnsupportedOperationException("the " + platformName() + " backend (" + platformVersion()
        + ") cannot load compiled-program artifacts; '" + artifact.platformName()
        + "' artifacts run on a PJRT backend (Backends.open(\"pjrt[:/path/to/plugin.so]\"))");
  }

  /** Allocator statistics of a device, where the backend keeps them (PJRT does; the embedded CPU backend does not). */
  default java.util.Optional<MemoryStats> memoryStats(Device device) {
    return java.util.Optional.empty();
  }

  /** Copies a host tensor to a device. */
  DeviceBuffer toDevice(HostTensor tensor, Device device);

  /** Copies a host tensor to the first device. */
  default DeviceBuffer toDevice(HostTensor tensor) {
    return toDevice(tensor, devices().get(0));
  }

  /**
   * Registers native host memory (e.g. a mapped checkpoint file, {@link SafetensorsReader#fileSegment})
   * for direct DMA, so that uploads of tensors inside it skip the runtime's staging copy. Empty where
   * the backend has no such notion (the embedded CPU backend) or its plugin lacks it.
   *
   * @throws XlaException when the backend refuses the region (e.g. memory it cannot pin)
   */
  default java.util.Optional<DmaMapping> dmaMap(java.lang.foreign.MemorySegment region) {
    return java.util.Optional.empty();
  }

  /**
   * Copies several host tensors to a device; a backend may keep the transfers in flight together.
   * Returns once every transfer no longer reads host memory, so views may be released afterwards.
   */
  default List<DeviceBuffer> toDevice(List<HostTensor> tensors, Device device) {
    List<DeviceBuffer> out = new java.util.ArrayList<>();
    try {
      for (HostTensor t : tensors) out.add(toDevice(t, device));
    } catch (RuntimeException e) {
      out.forEach(DeviceBuffer::close);
      throw e;
    }
    return out;
  }

  /** Releases everything this backend owns; idempotent. Executables and buffers fail cleanly afterwards. */
  @Override
  void close();

  /**
   * A version attribute as a plugin reports it: an int64 list ({@code [1, 9, 3]}) or text
   * ({@code "1.9.3"}); empty when absent or unreadable.
   */
  static Optional<StableHloVersion> versionAttribute(Map<String, Object> attributes, String name) {
    Object v = attributes.get(name);
    try {
      if (v instanceof List<?> l && l.stream().allMatch(Long.class::isInstance)) {
        return Optional.of(StableHloVersion.of(l.stream().map(Long.class::cast).toList()));
      }
      if (v instanceof String s) return Optional.of(StableHloVersion.parse(s));
    } catch (IllegalArgumentException | ArithmeticException e) {
      // a malformed attribute says nothing
    }
    return Optional.empty();
  }

  /**
   * What a compile of {@code program} with {@code options} means on this backend, as lines for a dump's
   * {@code 03-compile-options.txt}: the platform, the XLA flags in effect, and the compile-cache key with
   * what went into it. Compiles nothing.
   *
   * <pre>{@code
   * backend.compileFacts(program, CompileOptions.defaults()).forEach(System.out::println);
   * }</pre>
   */
  default List<String> compileFacts(Program program, CompileOptions options) {
    return List.of("platform: " + platformName() + " " + platformVersion(), "compile cache: none");
  }

  /** As {@link #compileFacts(Program, CompileOptions)} for external StableHLO text. */
  default List<String> compileFacts(String externalText, CompileOptions options) {
    return List.of("platform: " + platformName() + " " + platformVersion(), "compile cache: none");
  }
}
