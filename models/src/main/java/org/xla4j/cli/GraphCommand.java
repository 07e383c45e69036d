package org.xla4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.xla4j.graph.GraphDiff;
import org.xla4j.graph.GraphDot;
import org.xla4j.graph.GraphHtml;
import org.xla4j.graph.HloSummary;
import org.xla4j.graph.OpGraph;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code xla4j graph}: the graph viewer (one self-contained HTML file) and a Graphviz DOT file of a
 * StableHLO module; {@code xla4j graph diff A B} compares two modules' ops, custom calls and costs.
 *
 * <pre>
 * ./xla4j graph dump/02-stablehlo-locations.mlir --html graph.html --dot graph.dot
 * ./xla4j graph diff vanilla.mlir blockwise.mlir
 * </pre>
 */
@Command(name = "graph", mixinStandardHelpOptions = true, subcommands = GraphCommand.Diff.class,
    description = "Write the HTML graph viewer and/or a DOT file of a StableHLO module (generic op form).")
final class GraphCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "MODULE.mlir|BUNDLE",
      description = "StableHLO text (with locations for scopes and Java lines), or a --dump bundle folder (its module, with"
          + " the optimized HLO's fusions linked to their source lines).")
  Path module;

  @Option(names = "--model", paramLabel = "DIR|tiny-grok|tiny-llama|grok-1",
      description = "Instead of a module: the forward pass of a model directory (Grok-1 or Llama checkpoint; only its config"
          + " and tensor types are read) or a preset, built with locations.")
  String model;

  @Option(names = "--batch", defaultValue = "1", description = "With --model: batch size (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--seq", defaultValue = "8", description = "With --model: tokens per row (default: ${DEFAULT-VALUE}).")
  int seq;

  @Option(names = "--html", paramLabel = "OUT.html", description = "Viewer to write (default: MODULE with .html when no --dot).")
  Path html;

  @Option(names = "--dot", paramLabel = "OUT.dot", description = "Graphviz DOT file to write.")
  Path dot;

  @Override
  public Integer call() throws IOException {
    if (module == null && model == null) {
      throw new IllegalArgumentException("graph requires MODULE.mlir or --model DIR|PRESET (or: graph diff A B)");
    }
    if (module != null && model != null) throw new IllegalArgumentException("graph takes MODULE.mlir or --model, not both");
    OpGraph g;
    HloSummary optimized = null;
    String what;
    if (model != null) {
      if (batch < 1 || seq < 1) throw new IllegalArgumentException("--batch and --seq must be >= 1, got " + batch + " and " + seq);
      try (Progress _ = Progress.stage("build " + model)) {
        g = OpGraph.of(ModelGraphs.forward(model, batch, seq));
      }
      what = model;
      if (html == null && dot == null) html = Path.of(Path.of(model).getFileName() + "-graph.html");
    } else {
      GraphDiff.Side side = side(module); // a bundle folder brings its optimized HLO's fusions along
      g = side.graph();
      optimized = side.optimized().orElse(null);
      what = module.getFileName().toString();
      if (html == null && dot == null) {
        html = Files.isDirectory(module) ? module.resolve("graph.html") : sibling(module, ".html");
      }
    }
    if (html != null) Files.writeString(html, GraphHtml.render(g, optimized));
    if (dot != null) Files.writeString(dot, GraphDot.render(g));
    System.err.printf("%s: %d ops, %d static FLOPs, peak live %d bytes (estimate)%s%s%n", what, g.nodes().size(), g.flops(),
        g.peakLiveBytes(), html == null ? "" : " -> " + html, dot == null ? "" : " -> " + dot);
    return 0;
  }

  static OpGraph read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException("module file not found: " + file);
    if (ExecCommand.isArtifact(file)) {
      throw new IllegalArgumentException(file + " is a compiled-program artifact (.x4j): it holds the compiled executable,"
          + " not StableHLO text; pass the .mlir it was compiled from (or the 02-stablehlo-locations.mlir of its --dump)");
    }
    return OpGraph.read(Files.readString(file));
  }

  /** A module file, or a dump bundle folder with its compiled side (04-optimized-hlo.txt, 05-cost-and-memory.txt). */
  static GraphDiff.Side side(Path p) throws IOException {
    if (!Files.isDirectory(p)) return GraphDiff.Side.of(read(p));
    Path mlir = p.resolve("02-stablehlo-locations.mlir");
    if (!Files.isRegularFile(mlir)) mlir = p.resolve("02-stablehlo.mlir");
    if (!Files.isRegularFile(mlir)) {
      throw new IllegalArgumentException(p + " is a folder but not a dump bundle: it has no 02-stablehlo-locations.mlir"
          + " or 02-stablehlo.mlir (write one with --dump DIR)");
    }
    Path hlo = p.resolve("04-optimized-hlo.txt");
    java.util.Optional<HloSummary> opt = java.util.Optional.empty();
    if (Files.isRegularFile(hlo)) {
      String text = Files.readString(hlo);
      if (!text.startsWith("# not available")) opt = java.util.Optional.of(HloSummary.read(text));
    }
    java.util.OptionalLong temp = java.util.OptionalLong.empty();
    Path cost = p.resolve("05-cost-and-memory.txt");
    if (Files.isRegularFile(cost)) {
      java.util.regex.Matcher m = TEMP.matcher(Files.readString(cost));
      if (m.find()) temp = java.util.OptionalLong.of(Long.parseLong(m.group(1)));
    }
    return new GraphDiff.Side(read(mlir), opt, temp);
  }

  private static final java.util.regex.Pattern TEMP = java.util.regex.Pattern.compile("CompiledMemoryStats\\[[^\\]]*\\btemp=(\\d+)");

  private static Path sibling(Path file, String ext) {
    String n = file.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return file.resolveSibling((dot > 0 ? n.substring(0, dot) : n) + ext);
  }

  @Command(name = "diff", mixinStandardHelpOptions = true,
      description = {"Compare two programs: op counts by kind, custom calls, static FLOPs, bytes, argument bytes,"
          + " collectives and a peak-live-memory estimate.",
          "A and B may be modules (.mlir) or dump bundles (--dump folders): a bundle adds the compiled side"
              + " (fusions, custom calls and collectives of the optimized HLO, XLA's temp bytes)."})
  static final class Diff implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "A.mlir|BUNDLE") Path a;

    @Parameters(index = "1", paramLabel = "B.mlir|BUNDLE") Path b;

    @Override
    public Integer call() throws IOException {
      System.out.print(GraphDiff.text(side(a), side(b)));
      return 0;
    }
  }
}
