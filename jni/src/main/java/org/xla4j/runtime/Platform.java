package org.xla4j.runtime;

import java.util.Locale;

/**
 * The kind of machine a backend compiles for, parsed from the name its compiler reports (a PJRT
 * plugin's {@code PJRT_Client_PlatformName}, {@code cpu} for the embedded backend). Code that needs to
 * know "is this a CUDA GPU?" compares these values, never the raw strings.
 *
 * <pre>{@code
 * if (backend.platform() == Platform.CUDA) { ... }     // cuDNN attention
 * Platform.parse("gpu");                                // CUDA (older CUDA plugins call themselves "gpu")
 * Platform.CUDA.matches("gpu");                         // true: a --target that names any GPU
 * }</pre>
 */
public enum Platform {
  /** A host CPU: the embedded XLA CPU backend, or a PJRT CPU plugin. */
  CPU,
  /** An NVIDIA GPU (the CUDA PJRT plugin). */
  CUDA,
  /** An AMD GPU (the ROCm PJRT plugin). */
  ROCM,
  /** A Google TPU. */
  TPU,
  /** Any other plugin; its own name is still {@link Backend#platformName()}. */
  OTHER;

  /**
   * The platform a reported name stands for, ignoring case: {@code cpu}/{@code host} are CPU,
   * {@code cuda} and {@code gpu} (the CUDA plugin's older name) are CUDA, {@code rocm} is ROCM,
   * {@code tpu} is TPU; anything else (null included) is OTHER.
   */
  public static Platform parse(String name) {
    String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
    return switch (n) {
      case "cpu", "host" -> CPU;
      case "cuda", "gpu" -> CUDA;
      case "rocm" -> ROCM;
      case "tpu" -> TPU;
      default -> OTHER;
    };
  }

  /** True for the GPU platforms (CUDA, ROCM). */
  public boolean isGpu() {
    return switch (this) {
      case CUDA, ROCM -> true;
      case CPU, TPU, OTHER -> false;
    };
  }

  /**
   * Whether a user's target name accepts this platform: {@code any} accepts every platform,
   * {@code gpu} every GPU, any other name the platform it parses to (OTHER never matches a name, since
   * two unknown plugins need not be alike).
   */
  public boolean matches(String target) {
    String t = target == null ? "" : target.strip().toLowerCase(Locale.ROOT);
    if (t.equals("any")) return true;
    if (t.equals("gpu")) return isGpu();
    return this != OTHER && parse(t) == this;
  }
}
