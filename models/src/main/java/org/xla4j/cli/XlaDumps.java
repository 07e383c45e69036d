package org.xla4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.xla4j.runtime.Backends;

/**
 * XLA's own dump behind {@code --dump DIR} and {@code --xla-dump-passes REGEX}, per backend: on PJRT
 * per compile through the compile options' overrides ({@code xla_dump_to}, {@code xla_dump_hlo_pass_re});
 * on the CPU backend once per process through XLA_FLAGS, which must be set before the backend opens.
 * Either way XLA writes into {@code DIR/xla}.
 */
final class XlaDumps {
  private XlaDumps() {}

  private static volatile boolean ownsProcess;

  /**
   * Called by {@code main}: the command owns the process, so it may turn on XLA's process-wide CPU dump.
   * In-process runs ({@code Main.run} from a test or an application) leave the host process's XLA flags alone.
   */
  static void ownProcess() { ownsProcess = true; }

  /** The folder under a dump bundle that XLA's own files go to. */
  static Path xlaDir(Path dump) { return dump.resolve("xla"); }

  /**
   * Call before opening the backend. Returns the debug options to add to each compile (PJRT); on the
   * CPU backend turns XLA's process-wide dump on (needed there for the optimized HLO of {@code --dump}).
   *
   * @throws IllegalArgumentException when passes are asked for without {@code --dump}
   */
  static Map<String, String> prepare(Path dump, String passRegex, String backendSpec) {
    if (passRegex != null && dump == null) {
      throw new IllegalArgumentException("--xla-dump-passes needs --dump DIR: XLA writes the module after each matching"
          + " pass into DIR/xla");
    }
    if (passRegex != null) {
      try {
        java.util.regex.Pattern.compile(passRegex);
      } catch (java.util.regex.PatternSyntaxException e) {
        throw new IllegalArgumentException("--xla-dump-passes: not a valid regex '" + passRegex + "': " + e.getDescription());
      }
    }
    Map<String, String> dbg = new LinkedHashMap<>();
    if (dump == null) return dbg;
    if (isCpu(backendSpec)) {
      boolean on = ownsProcess && Backends.requestCpuXlaDump(xlaDir(dump), passRegex);
      if (!on && passRegex != null) {
        System.err.println("warning: --xla-dump-passes on the CPU backend needs a process of its own (XLA reads its flags"
            + " once per process); run the xla4j command by itself, or set XLA_FLAGS=--xla_dump_to=DIR"
            + " --xla_dump_hlo_pass_re=REGEX before starting the JVM");
      }
    } else if (passRegex != null) {
      dbg.put("xla_dump_to", xlaDir(dump).toAbsolutePath().toString());
      dbg.put("xla_dump_hlo_as_text", "true");
      dbg.put("xla_dump_hlo_pass_re", passRegex);
    }
    return dbg;
  }

  /**
   * For commands that read XLA's optimized HLO without a {@code --dump} (e.g. {@code attention compare --explain}):
   * on the CPU backend, in a process the command owns, XLA's dump goes to a temporary folder removed at exit.
   */
  static void cpuDumpForAnalysis(String backendSpec) {
    if (!isCpu(backendSpec) || !ownsProcess) return;
    try {
      Path tmp = java.nio.file.Files.createTempDirectory("xla4j-xla-dump");
      if (Backends.requestCpuXlaDump(tmp, null)) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(tmp)));
      } else {
        deleteTree(tmp);
      }
    } catch (java.io.IOException e) {
      System.err.println("warning: no temporary folder for XLA's dump (" + e.getMessage() + "); no optimized HLO");
    }
  }

  /** Whether a backend spec names the CPU backend (the default, null, does). */
  private static boolean isCpu(String backendSpec) {
    return backendSpec == null || backendSpec.strip().toLowerCase(java.util.Locale.ROOT).startsWith("cpu");
  }

  private static void deleteTree(Path dir) {
    try (var s = java.nio.file.Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // best effort: a temporary folder
    }
  }
}
