package org.xla4j.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xla4j.types.TensorType;

/**
 * What a failed compile or run leaves behind so that it can be replayed: a folder with
 * {@code module.mlir}, {@code options.txt}, {@code inputs.txt} (types), {@code inputs.safetensors}
 * (the inputs, when they fit under {@link #maxInputBytes()}), {@code error.txt} and {@code replay.txt}.
 * The thrown {@link Failure} keeps the original message and adds the folder and the replay command.
 *
 * <pre>{@code
 * try {
 *   exe.execute(args);
 * } catch (RuntimeException e) {
 *   throw FailureBundle.write(Path.of("failures"), "run", text, opts, exe.signature().args(), args, e);
 * }
 * }</pre>
 */
public final class FailureBundle {
  private FailureBundle() {}

  /** A failure with a bundle: the original exception is the cause. */
  public static final class Failure extends RuntimeException {
    private final Path bundle;

    Failure(String message, Path bundle, Throwable cause) {
      super(message, cause);
      this.bundle = bundle;
    }

    /** The folder holding the module, options, input types and inputs. */
    public Path bundle() { return bundle; }
  }

  /** Largest total input size saved as safetensors: {@code -Dxla4j.failure.maxInputBytes}, default 64 MiB. */
  public static long maxInputBytes() {
    return Long.getLong("xla4j.failure.maxInputBytes", 64L << 20);
  }

  /**
   * Writes a bundle into a new folder under {@code parent} and returns the exception to throw.
   *
   * @param stage "compile" or "run"
   * @param inputs the inputs, or null when the failure came before there were any
   */
  public static Failure write(Path parent, String stage, String moduleText, CompileOptions options,
      List<TensorType> inputTypes, List<HostTensor> inputs, RuntimeException error) {
    Path dir;
    try {
      Files.createDirectories(parent);
      String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
      dir = Files.createTempDirectory(parent, "xla4j-" + stage + "-failure-" + stamp + "-");
      Files.writeString(dir.resolve("module.mlir"), moduleText);
      Files.writeString(dir.resolve("options.txt"), "device assignment " + options.deviceAssignment()
          + "\ndebug options " + options.debugOptions() + "\n");
      StringBuilder types = new StringBuilder();
      for (int i = 0; i < inputTypes.size(); i++) types.append("arg").append(i).append(' ').append(inputTypes.get(i).mlir()).append('\n');
      Files.writeString(dir.resolve("inputs.txt"), types.toString());
      boolean saved = false;
      String note = "";
      if (inputs != null) {
        long total = inputs.stream().mapToLong(t -> t.type().byteSize()).sum();
        if (total <= maxInputBytes()) {
          Map<String, HostTensor> named = new LinkedHashMap<>();
          for (int i = 0; i < inputs.size(); i++) named.put("arg" + i, inputs.get(i));
          Safetensors.write(dir.resolve("inputs.safetensors"), named);
          saved = true;
        } else {
          note = " (inputs not saved: " + total + " bytes is over the limit of " + maxInputBytes()
              + "; raise it with -Dxla4j.failure.maxInputBytes)";
        }
      }
      java.io.StringWriter trace = new java.io.StringWriter();
      error.printStackTrace(new java.io.PrintWriter(trace));
      Files.writeString(dir.resolve("error.txt"), trace.toString());
      String replay = replayCommand(dir, inputTypes.size(), saved);
      Files.writeString(dir.resolve("replay.txt"), replay + "\n" + (saved || inputs == null ? "" : "# write inputs of the types in inputs.txt first" + note + "\n"));
      String msg = error.getMessage() + "\nfailure bundle: " + dir + note + "\nreplay: " + replay;
      return new Failure(msg, dir, error);
    } catch (IOException e) {
      error.addSuppressed(e);
      throw new UncheckedIOException("writing the failure bundle under " + parent + " failed: " + e.getMessage()
          + "; the original error: " + error.getMessage(), e);
    }
  }

  /** {@code xla4j exec DIR/module.mlir --input arg0=DIR/inputs.safetensors ...}. */
  static String replayCommand(Path dir, int args, boolean withInputs) {
    StringBuilder b = new StringBuilder("xla4j exec ").append(dir.resolve("module.mlir"));
    for (int i = 0; i < args; i++) {
      b.append(" --input arg").append(i).append('=').append(withInputs ? dir.resolve("inputs.safetensors").toString() : "ARG" + i + ".safetensors");
    }
    return b.toString();
  }
}
