package org.xla4j.graph;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * What differs between two programs: op counts by kind, custom-call targets, static FLOPs, bytes,
 * argument bytes, collectives and an estimate of peak live memory from the StableHLO; and, where the
 * compiled side is known (a dump bundle), fusions by kind, custom calls and collectives of the
 * optimized HLO and XLA's temp bytes, as a text table ({@code xla4j graph diff A B}).
 *
 * <pre>{@code
 * System.out.print(GraphDiff.text(OpGraph.read(a), OpGraph.read(b)));
 * }</pre>
 */
public final class GraphDiff {
  private GraphDiff() {}

  /**
   * One program as the diff sees it.
   *
   * @param graph its StableHLO graph
   * @param optimized what XLA made of it, when known
   * @param tempBytes XLA's compiled temp bytes, when known
   */
  public record Side(OpGraph graph, Optional<HloSummary> optimized, OptionalLong tempBytes) {
    /** A program known only by its StableHLO. */
    public static Side of(OpGraph g) { return new Side(g, Optional.empty(), OptionalLong.empty()); }
  }

  /** The diff of two StableHLO graphs. */
  public static String text(OpGraph a, OpGraph b) { return text(Side.of(a), Side.of(b)); }

  /** The diff of two programs, with their compiled sides where known. */
  public static String text(Side sa, Side sb) {
    OpGraph a = sa.graph();
    OpGraph b = sb.graph();
    StringBuilder s = new StringBuilder();
    s.append(String.format("%-40s %16s %16s %16s%n", "", "A: " + a.module(), "B: " + b.module(), "B - A"));
    row(s, "ops", a.nodes().size(), b.nodes().size());
    row(s, "static FLOPs", a.flops(), b.flops());
    row(s, "bytes read+written (unfused)", a.bytes(), b.bytes());
    row(s, "argument bytes", a.argumentBytes(), b.argumentBytes());
    row(s, "peak live bytes (estimate, unfused)", a.peakLiveBytes(), b.peakLiveBytes());
    s.append("op counts by kind:\n");
    table(s, a.countsByKind(), b.countsByKind());
    Map<String, Integer> ca = a.customCalls();
    Map<String, Integer> cb = b.customCalls();
    if (!ca.isEmpty() || !cb.isEmpty()) {
      s.append("custom calls by target:\n");
      table(s, ca, cb);
    }
    collectives(s, "collectives in the StableHLO (count, operand bytes):", a.collectives(), b.collectives());
    if (hasRegions(a) || hasRegions(b)) {
      s.append("(note: ops inside scan/while/if/case bodies are not in the static counts above: a loop's FLOPs, bytes\n"
          + " and live values count as 0 there, since its trip count is not part of the text; the compiled side\n"
          + " counts them)\n");
    }
    if (sa.optimized().isPresent() || sb.optimized().isPresent() || sa.tempBytes().isPresent()
        || sb.tempBytes().isPresent()) {
      s.append("compiled (optimized HLO; '-' where a side was not compiled or its backend gives no optimized HLO):\n");
      optRow(s, "  XLA temp bytes", sa.tempBytes(), sb.tempBytes());
      optRow(s, "  HLO instructions", count(sa, h -> h.instructions()), count(sb, h -> h.instructions()));
      optRow(s, "  fusions", count(sa, h -> h.fusions().size()), count(sb, h -> h.fusions().size()));
      countRows(s, "    ", sa, sb, HloSummary::fusionsByKind);
      countRows(s, "  custom call ", sa, sb, HloSummary::customCalls);
      Map<String, long[]> none = Map.of();
      collectives(s, "  collectives in the optimized HLO (count, bytes):",
          sa.optimized().map(HloSummary::collectives).orElse(none), sb.optimized().map(HloSummary::collectives).orElse(none));
    }
    return s.toString();
  }

  private static boolean hasRegions(OpGraph g) {
    return g.nodes().stream().anyMatch(n -> switch (n.shortKind()) {
      case "while", "scan", "if", "case" -> true;
      default -> false;
    });
  }

  /** One row per key of either side's counts (a side without optimized HLO shows '-'); each map is built once. */
  private static void countRows(StringBuilder s, String prefix, Side sa, Side sb,
      java.util.function.Function<HloSummary, Map<String, Integer>> counts) {
    Optional<Map<String, Integer>> a = sa.optimized().map(counts);
    Optional<Map<String, Integer>> b = sb.optimized().map(counts);
    TreeSet<String> keys = new TreeSet<>();
    a.ifPresent(m -> keys.addAll(m.keySet()));
    b.ifPresent(m -> keys.addAll(m.keySet()));
    for (String k : keys) {
      optRow(s, prefix + k, a.map(m -> OptionalLong.of(m.getOrDefault(k, 0))).orElse(OptionalLong.empty()),
          b.map(m -> OptionalLong.of(m.getOrDefault(k, 0))).orElse(OptionalLong.empty()));
    }
  }

  private static OptionalLong count(Side side, java.util.function.ToLongFunction<HloSummary> f) {
    return side.optimized().map(h -> OptionalLong.of(f.applyAsLong(h))).orElse(OptionalLong.empty());
  }

  private static void collectives(StringBuilder s, String title, Map<String, long[]> a, Map<String, long[]> b) {
    if (a.isEmpty() && b.isEmpty()) return;
    s.append(title).append('\n');
    TreeSet<String> keys = new TreeSet<>(a.keySet());
    keys.addAll(b.keySet());
    long[] zero = new long[2];
    for (String k : keys) {
      row(s, "  " + k, a.getOrDefault(k, zero)[0], b.getOrDefault(k, zero)[0]);
      row(s, "  " + k + " bytes", a.getOrDefault(k, zero)[1], b.getOrDefault(k, zero)[1]);
    }
  }

  private static void table(StringBuilder s, Map<String, Integer> a, Map<String, Integer> b) {
    TreeSet<String> keys = new TreeSet<>(a.keySet());
    keys.addAll(b.keySet());
    for (String k : keys) row(s, "  " + k, a.getOrDefault(k, 0), b.getOrDefault(k, 0));
  }

  private static void row(StringBuilder s, String what, long a, long b) {
    s.append(String.format("%-40s %16d %16d %+16d%n", what, a, b, b - a));
  }

  private static void optRow(StringBuilder s, String what, OptionalLong a, OptionalLong b) {
    s.append(String.format("%-40s %16s %16s %16s%n", what, a.isPresent() ? Long.toString(a.getAsLong()) : "-",
        b.isPresent() ? Long.toString(b.getAsLong()) : "-",
        a.isPresent() && b.isPresent() ? String.format("%+d", b.getAsLong() - a.getAsLong()) : "-"));
  }
}
