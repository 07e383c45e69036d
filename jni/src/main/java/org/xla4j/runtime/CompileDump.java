package org.xla4j.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xla4j.graph.GraphDot;
import org.xla4j.graph.GraphHtml;
import org.xla4j.graph.OpGraph;
import org.xla4j.graph.ProgramDump;
import org.xla4j.program.Program;
import org.xla4j.types.Signature;

/**
 * One dump bundle per compile, files numbered by stage: {@code 01-program.txt},
 * {@code 02-stablehlo.mlir} (and {@code 02-stablehlo-locations.mlir} for a Program),
 * {@code 03-compile-options.txt}, {@code 04-optimized-hlo.txt}, {@code 05-cost-and-memory.txt},
 * {@code 06-graph.html} and {@code 06-graph.dot}. Where the backend cannot give a stage, its file
 * says why.
 *
 * <pre>{@code
 * try (Executable exe = backend.compile(program, opts)) {
 *   CompileDump.write(Path.of("dump"), program, opts, exe);
 * }
 * }</pre>
 */
public final class CompileDump {
  private CompileDump() {}

  /** The bundle of a compiled {@link Program}; returns the files written. */
  public static List<Path> write(Path dir, Program program, CompileOptions options, Executable exe) {
    // the graph is read and the viewer rendered once, with the optimized HLO's fusions where there is one
    OpGraph g = OpGraph.of(program);
    String hlo = optimizedHlo(exe);
    List<Path> files = new ArrayList<>(ProgramDump.write(program, dir, g, fusions(hlo)));
    try {
      files.addAll(backendStages(dir, exe, options, exe.backend().compileFacts(program, options), g, hlo));
    } catch (IOException e) {
      throw new UncheckedIOException("dump to " + dir + ": " + e.getMessage(), e);
    }
    return sorted(files);
  }

  /** The bundle of compiled external StableHLO text (e.g. a JAX export); returns the files written. */
  public static List<Path> write(Path dir, String externalText, CompileOptions options, Executable exe) {
    try {
      Files.createDirectories(dir);
      List<Path> files = new ArrayList<>();
      files.add(Files.writeString(dir.resolve("01-program.txt"), summary(exe)));
      files.add(Files.writeString(dir.resolve("02-stablehlo.mlir"), externalText));
      OpGraph g = OpGraph.read(externalText);
      String hlo = optimizedHlo(exe);
      files.add(Files.writeString(dir.resolve("06-graph.html"), GraphHtml.render(g, fusions(hlo))));
      files.add(Files.writeString(dir.resolve("06-graph.dot"), GraphDot.render(g)));
      files.addAll(backendStages(dir, exe, options, exe.backend().compileFacts(externalText, options), g, hlo));
      return sorted(files);
    } catch (IOException e) {
      throw new UncheckedIOException("dump to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The stages an executable alone knows (01 from its signature, 03 to 05); returns the files written. */
  public static List<Path> write(Path dir, Executable exe) {
    try {
      Files.createDirectories(dir);
      List<Path> files = new ArrayList<>();
      files.add(Files.writeString(dir.resolve("01-program.txt"), summary(exe)));
      files.addAll(backendStages(dir, exe, null,
          List.of("platform: " + exe.backend().platformName() + " " + exe.backend().platformVersion(),
              "(dumped from the executable alone: its program and options were not given)"), null, optimizedHlo(exe)));
      return sorted(files);
    } catch (IOException e) {
      throw new UncheckedIOException("dump to " + dir + ": " + e.getMessage(), e);
    }
  }

  private static List<Path> sorted(List<Path> files) {
    return files.stream().sorted().toList();
  }

  private static String summary(Executable exe) {
    Signature s = exe.signature();
    StringBuilder b = new StringBuilder("program (from the executable's signature; shardings and donation as the text states)\n");
    b.append("arguments (").append(s.args().size()).append("):\n");
    for (int i = 0; i < s.args().size(); i++) {
      b.append(String.format("  %3d  %-40s %s%n", i, exe.argPaths().get(i), s.args().get(i).mlir()));
    }
    b.append("results (").append(s.results().size()).append("):\n");
    for (int i = 0; i < s.results().size(); i++) {
      b.append(String.format("  %3d  %-40s %s%n", i, exe.resultPaths().get(i), s.results().get(i).mlir()));
    }
    return b.toString();
  }

  /** The optimized HLO's summary for the viewer, or null where the backend gave none. */
  private static org.xla4j.graph.HloSummary fusions(String hlo) {
    return hlo.startsWith("# not available") ? null : org.xla4j.graph.HloSummary.read(hlo);
  }

  private static List<Path> backendStages(Path dir, Executable exe, CompileOptions options, List<String> facts,
      OpGraph g, String hlo) throws IOException {
    StringBuilder o = new StringBuilder();
    if (options != null) {
      o.append("compile options: device assignment ")
          .append(options.deviceAssignment().isEmpty() ? "(the backend's)" : options.deviceAssignment().toString())
          .append(", debug options ").append(options.debugOptions()).append('\n');
    }
    for (String f : facts) o.append(f).append('\n');
    Path f3 = Files.writeString(dir.resolve("03-compile-options.txt"), o.toString());
    Path f4 = Files.writeString(dir.resolve("04-optimized-hlo.txt"), hlo);
    Path f5 = Files.writeString(dir.resolve("05-cost-and-memory.txt"), costs(exe, g));
    return List.of(f3, f4, f5);
  }

  private static boolean cpu(Executable exe) { return exe.backend().platformName().equals("cpu"); }

  private static String optimizedHlo(Executable exe) {
    Optional<String> hlo = exe.optimizedHlo();
    if (hlo.isPresent()) return hlo.get();
    if (exe.backend().platformName().equals("cpu")) {
      return "# not available: the embedded CPU backend compiles inside TensorFlow's XlaCallModule, which hands its\n"
          + "# optimized HLO out only through XLA's dump, and reads XLA_FLAGS once, when TensorFlow loads. The CLI's\n"
          + "# --dump turns that dump on before the backend opens; from the API, set the system property\n"
          + "# xla4j.cpu.xlaDumpTo=DIR (or XLA_FLAGS=--xla_dump_to=DIR --xla_dump_hlo_as_text) before the first\n"
          + "# Backends.open(\"cpu\") of the process. XLA compiles at the first run on this backend: dump after running\n"
          + "# once (a compile alone, as `xla4j compile` does, has nothing to show).\n";
    }
    return "# not available: this executable does not give its optimized HLO (for example one loaded from a .x4j\n"
        + "# artifact on a plugin without PJRT_Executable_OptimizedProgram: no source to compile again)\n";
  }

  private static String costs(Executable exe, OpGraph g) {
    StringBuilder b = new StringBuilder();
    if (g != null) {
      b.append("static counts (xla4j's own: dot_general 2*M*N*K, elementwise 1 per result element, reduce 1 per input"
          + " element; bytes = operands + results per op, as if nothing were fused):\n");
      b.append(String.format("  ops %d, FLOPs %d, bytes read+written %d, argument bytes %d%n", g.nodes().size(), g.flops(),
          g.bytes(), g.argumentBytes()));
      b.append(String.format("  peak live bytes (estimate: program order, nothing fused, loop bodies not counted) %d%s%n",
          g.peakLiveBytes(), exe.compiledMemoryStats().map(m -> String.format("; XLA's temp bytes %d (%.2fx the estimate:"
              + " below 1 where fusion keeps values out of memory, above where XLA added copies or buffers)", m.temp(),
              m.temp() / (double) Math.max(1, g.peakLiveBytes()))).orElse("")));
      b.append("  by op kind (count, FLOPs, bytes):\n");
      Map<String, Integer> counts = g.countsByKind();
      for (var e : counts.entrySet()) {
        long fl = 0;
        long by = 0;
        for (var n : g.nodes()) {
          if (n.kind().equals(e.getKey())) {
            fl += n.flops();
            by += n.bytes();
          }
        }
        b.append(String.format("    %-36s %8d %16d %16d%n", e.getKey(), e.getValue(), fl, by));
      }
      b.append("  by scope (FLOPs, bytes, ops):\n");
      for (var e : g.costByScope().entrySet()) {
        b.append(String.format("    %-36s %16d %16d %8d%n", e.getKey().isEmpty() ? "(all)" : e.getKey(), e.getValue()[0],
            e.getValue()[1], e.getValue()[2]));
      }
    }
    var cost = exe.costAnalysis();
    if (cost.isPresent()) {
      b.append("XLA cost analysis:\n");
      cost.get().properties().forEach((k, v) -> b.append("  ").append(k).append(" = ").append(v).append('\n'));
      if (g != null && cost.get().flops().isPresent()) {
        b.append(String.format("  (XLA flops / static FLOPs = %.3f: XLA counts after its own rewrites, e.g. one multiply-add"
            + " per dot element pair as 2, transcendental ops apart)%n", cost.get().flops().getAsDouble() / Math.max(1, g.flops())));
      }
    } else {
      b.append("XLA cost analysis: not reported by this backend").append(cpu(exe) ? " (TensorFlow does not expose it)" : "")
          .append('\n');
    }
    var mem = exe.compiledMemoryStats();
    if (mem.isPresent()) {
      b.append("compiled memory stats: ").append(mem.get()).append('\n');
    } else {
      b.append("compiled memory stats: not reported by this backend").append(cpu(exe) ? " (TensorFlow does not expose them)" : "")
          .append('\n');
    }
    return b.toString();
  }
}
