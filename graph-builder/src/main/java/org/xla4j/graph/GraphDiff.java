package org.xla4j.graph;

import java.util.Map;
import java.util.TreeSet;

/**
 * What differs between two graphs: op counts by kind, custom-call targets, static FLOPs, bytes and
 * argument bytes, as a text table ({@code xla4j graph diff A B}).
 *
 * <pre>{@code
 * System.out.print(GraphDiff.text(OpGraph.read(a), OpGraph.read(b)));
 * }</pre>
 */
public final class GraphDiff {
  private GraphDiff() {}

  public static String text(OpGraph a, OpGraph b) {
    StringBuilder s = new StringBuilder();
    s.append(String.format("%-40s %14s %14s %14s%n", "", "A: " + a.module(), "B: " + b.module(), "B - A"));
    row(s, "ops", a.nodes().size(), b.nodes().size());
    row(s, "static FLOPs", a.flops(), b.flops());
    row(s, "bytes read+written (unfused)", a.bytes(), b.bytes());
    row(s, "argument bytes", a.argumentBytes(), b.argumentBytes());
    s.append("op counts by kind:\n");
    table(s, a.countsByKind(), b.countsByKind());
    Map<String, Integer> ca = a.customCalls();
    Map<String, Integer> cb = b.customCalls();
    if (!ca.isEmpty() || !cb.isEmpty()) {
      s.append("custom calls by target:\n");
      table(s, ca, cb);
    }
    return s.toString();
  }

  private static void table(StringBuilder s, Map<String, Integer> a, Map<String, Integer> b) {
    TreeSet<String> keys = new TreeSet<>(a.keySet());
    keys.addAll(b.keySet());
    for (String k : keys) row(s, "  " + k, a.getOrDefault(k, 0), b.getOrDefault(k, 0));
  }

  private static void row(StringBuilder s, String what, long a, long b) {
    s.append(String.format("%-40s %14d %14d %+14d%n", what, a, b, b - a));
  }
}
