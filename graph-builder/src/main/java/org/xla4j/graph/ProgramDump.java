package org.xla4j.graph;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.xla4j.program.Program;
import org.xla4j.sharding.Sharding;
import org.xla4j.sharding.ShardingText;
import org.xla4j.types.TensorType;

/**
 * The backend-independent stages of a dump bundle: {@code 01-program.txt} (arguments and results with
 * tree paths, types, shardings and donation), {@code 02-stablehlo.mlir} (the text as compiled),
 * {@code 02-stablehlo-locations.mlir} (the same with scope and Java source locations),
 * {@code 06-graph.html} and {@code 06-graph.dot}. The runtime adds stages 03 to 05.
 */
public final class ProgramDump {
  private ProgramDump() {}

  /** Writes the stages into {@code dir} (created if needed) and returns the files written. */
  public static List<Path> write(Program p, Path dir) {
    return write(p, dir, OpGraph.of(p), null);
  }

  /**
   * The same with the program's graph already read ({@link OpGraph#of(Program)}) and, where known, what XLA made
   * of it, whose fusions the viewer links to their source lines (null: unknown).
   */
  public static List<Path> write(Program p, Path dir, OpGraph g, HloSummary optimized) {
    try {
      Files.createDirectories(dir);
      Path f1 = Files.writeString(dir.resolve("01-program.txt"), summary(p, g));
      Path f2 = Files.writeString(dir.resolve("02-stablehlo.mlir"), p.withLocations(false).text());
      Path f2l = Files.writeString(dir.resolve("02-stablehlo-locations.mlir"), p.withLocations(true).text());
      Path f6 = Files.writeString(dir.resolve("06-graph.html"), GraphHtml.render(g, optimized));
      Path f6d = Files.writeString(dir.resolve("06-graph.dot"), GraphDot.render(g));
      return List.of(f1, f2, f2l, f6, f6d);
    } catch (IOException e) {
      throw new UncheckedIOException("dump of program '" + p.name() + "' to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The program summary of {@code 01-program.txt}. */
  public static String summary(Program p) { return summary(p, OpGraph.of(p)); }

  private static String summary(Program p, OpGraph g) {
    StringBuilder b = new StringBuilder();
    b.append("program ").append(p.name()).append('\n');
    b.append("partitioner ").append(p.partitioner()).append(", ").append(p.numReplicas()).append(" replica(s) x ")
        .append(p.numPartitions()).append(" partition(s)");
    p.mesh().ifPresent(m -> b.append(", mesh '").append(m.name()).append("' ").append(m.axes()));
    b.append('\n');
    b.append("arguments (").append(p.argPaths().size()).append("):\n");
    List<TensorType> at = p.signature().args();
    List<Integer> donated = p.donated();
    for (int i = 0; i < at.size(); i++) {
      b.append(String.format("  %3d  %-40s %-28s %s%s%n", i, p.argPaths().get(i), at.get(i).mlir(),
          sharding(p.argShardings().get(i), at.get(i)), donated.contains(i) ? "  donated" : ""));
    }
    b.append("results (").append(p.resultPaths().size()).append("):\n");
    List<TensorType> rt = p.signature().results();
    for (int i = 0; i < rt.size(); i++) {
      b.append(String.format("  %3d  %-40s %-28s %s%n", i, p.resultPaths().get(i), rt.get(i).mlir(),
          sharding(p.resultShardings().get(i), rt.get(i))));
    }
    var attrs = p.mainAttributes();
    if (!attrs.aliasedOutputs().isEmpty()) b.append("aliased (argument -> result): ").append(attrs.aliasedOutputs()).append('\n');
    if (!attrs.bufferDonors().isEmpty()) b.append("buffer donors: ").append(attrs.bufferDonors()).append('\n');
    b.append(String.format("ops %d, static FLOPs %d, argument bytes %d%n", g.nodes().size(), g.flops(), g.argumentBytes()));
    return b.toString();
  }

  private static String sharding(Sharding s, TensorType t) {
    return s == null ? "unsharded" : ShardingText.gspmd(s, t.rank());
  }
}
