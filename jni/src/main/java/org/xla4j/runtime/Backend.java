package org.xla4j.runtime;

import java.util.List;
import org.xla4j.types.Signature;

/**
 * A place that compiles and runs StableHLO programs: the embedded XLA CPU compiler, or a PJRT plugin.
 * Open one with {@link Backends#open(String)}; close it when done (it owns native memory).
 *
 * <pre>{@code
 * try (Backend cpu = Backends.open("cpu");
 *      Executable exe = cpu.compile(moduleText, CompileOptions.defaults())) {
 *   List<HostTensor> out = exe.execute(List.of(x, w));
 * }
 * }</pre>
 */
public interface Backend extends AutoCloseable {
  /** Platform name as the backend reports it, e.g. {@code cpu}, {@code cuda}. */
  String platformName();

  /** Platform version string (compiler or plugin version). */
  String platformVersion();

  /** Addressable devices, in the order device ids are given to {@link CompileOptions}. */
  List<Device> devices();

  /**
   * Compiles StableHLO text. The module's {@code @main} signature becomes the executable's signature.
   *
   * @throws CompileException carrying XLA's own diagnostic when the text does not parse or compile
   */
  Executable compile(String stablehloText, CompileOptions options);

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

  /** Reads the signature of a module's {@code @main}; shared by every backend. */
  static Signature signatureOf(String stablehloText) {
    return Signature.parseMain(stablehloText);
  }
}
