package org.xla4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.xla4j.runtime.CompileOptions;
import picocli.CommandLine.Option;

/**
 * The options {@code --dump DIR} and {@code --xla-dump-passes REGEX}, mixed into every command that compiles a
 * program and can write its dump bundle; {@link XlaDumps} does the work behind them. Example:
 *
 * <pre>{@code
 * @Mixin XlaDumpOptions dumps = new XlaDumpOptions();
 * ...
 * CompileOptions opts = dumps.compileOptions(backendSpec); // before the backend opens
 * }</pre>
 */
final class XlaDumpOptions {
  @Option(names = "--dump", paramLabel = "DIR",
      description = "Also write the dump bundle of each compile (program, StableHLO, options, optimized HLO, costs,"
          + " graph) under DIR.")
  Path dir;

  @Option(names = "--xla-dump-passes", paramLabel = "REGEX",
      description = "With --dump: XLA also writes the module after each pass whose name matches REGEX, under DIR/xla.")
  String passes;

  /** Whether {@code --dump} was given. */
  boolean on() { return dir != null; }

  /**
   * Call before opening the backend: the debug options to add to each compile ({@link XlaDumps#prepare}).
   *
   * @throws IllegalArgumentException for {@code --xla-dump-passes} without {@code --dump}, or a bad regex
   */
  Map<String, String> prepare(String backendSpec) {
    return XlaDumps.prepare(dir, passes, backendSpec);
  }

  /** {@link #prepare} as the compile options of a command that sets nothing else. */
  CompileOptions compileOptions(String backendSpec) {
    return CompileOptions.builder().debugOptions(prepare(backendSpec)).build();
  }

  /** Says on stderr what a bundle write left where (the line every dumping command prints). */
  static void report(List<Path> files, Path where) {
    System.err.println("dumped " + files.size() + " files to " + where);
  }
}
