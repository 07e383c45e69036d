package org.xla4j.runtime.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The optimized HLO of a CPU compile, from XLA's own dump. TensorFlow hands the text out only through
 * {@code XLA_FLAGS=--xla_dump_to=DIR} (read once per process); the files a compile adds to DIR are its
 * dump, and {@code *cpu_after_optimizations.txt} among them is the module that runs, with the op
 * metadata (op_name, source_file, source_line) taken from our locations. Compiles are serialized by
 * the backend's lock, so the new files belong to the compile between two snapshots.
 */
final class XlaDumpFiles {
  private XlaDumpFiles() {}

  /** The dump folder named in the {@code XLA_FLAGS} TensorFlow reads in this process, if any. */
  static Optional<Path> dumpDir() {
    String flags = CpuBackend.xlaFlags();
    for (String f : flags.trim().split("\\s+")) {
      if (f.startsWith("--xla_dump_to=")) {
        String d = f.substring("--xla_dump_to=".length());
        if (!d.isEmpty() && !d.equals("-") && !d.startsWith("sponge")) return Optional.of(Path.of(d));
      }
    }
    return Optional.empty();
  }

  /** The files now in the dump folder (empty when there is none). */
  static Set<Path> snapshot() {
    Optional<Path> dir = dumpDir();
    if (dir.isEmpty() || !Files.isDirectory(dir.get())) return Set.of();
    try (Stream<Path> s = Files.list(dir.get())) {
      return s.collect(Collectors.toSet());
    } catch (IOException e) {
      return Set.of();
    }
  }

  /** The optimized HLO text among the files added since {@code before}, if XLA wrote one. */
  static Optional<String> optimizedSince(Set<Path> before) {
    Optional<Path> dir = dumpDir();
    if (dir.isEmpty() || !Files.isDirectory(dir.get())) return Optional.empty();
    try (Stream<Path> s = Files.list(dir.get())) {
      Optional<Path> f = s.filter(p -> !before.contains(p))
          .filter(p -> p.getFileName().toString().endsWith("after_optimizations.txt"))
          .max(Comparator.comparing(p -> p.getFileName().toString()));
      return f.isEmpty() ? Optional.empty() : Optional.of(Files.readString(f.get()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
