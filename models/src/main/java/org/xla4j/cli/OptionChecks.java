package org.xla4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Up-front checks of option values, before any work: each failure is a picocli usage error (exit code 2)
 * naming the option and the value given.
 */
final class OptionChecks {
  private OptionChecks() {}

  /** {@code value >= 1}. */
  static void positive(CommandSpec spec, String option, long value) {
    if (value < 1) throw new ParameterException(spec.commandLine(), option + " must be >= 1, got " + value);
  }

  /** {@code value >= 0}. */
  static void nonNegative(CommandSpec spec, String option, long value, String zeroMeans) {
    if (value < 0) {
      throw new ParameterException(spec.commandLine(), option + " must be >= 0 (0: " + zeroMeans + "), got " + value);
    }
  }

  /**
   * An output file can be written: its folder exists and is a writable folder, and the file itself is not
   * a folder. Checked before the computation, so a typo does not cost a long run.
   */
  static void writableOutput(CommandSpec spec, String option, Path file) {
    if (file == null) return;
    Path abs = file.toAbsolutePath();
    Path dir = abs.getParent();
    if (Files.isDirectory(abs)) {
      throw new ParameterException(spec.commandLine(), option + " " + file + " is a folder; name a file in it");
    }
    if (dir != null && !Files.isDirectory(dir)) {
      throw new ParameterException(spec.commandLine(), option + " " + file + ": the folder " + dir
          + (Files.exists(dir) ? " is not a folder" : " does not exist") + "; create it first or pick another path");
    }
    if (dir != null && !Files.isWritable(dir)) {
      throw new ParameterException(spec.commandLine(), option + " " + file + ": the folder " + dir + " is not writable");
    }
    if (Files.exists(abs) && !Files.isWritable(abs)) {
      throw new ParameterException(spec.commandLine(), option + " " + file + " exists and is not writable");
    }
  }

  /** A given input file exists and is a file (one message for every command). */
  static void existingFile(CommandSpec spec, String what, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ParameterException(spec.commandLine(), what + " " + file
          + (Files.isDirectory(file) ? " is a folder, not a file" : ": file not found"));
    }
  }
}
