package org.xla4j.graph;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.xla4j.program.Program;

/**
 * The top-level ops of a program's {@code @main} as a graph: what the HTML viewer, the DOT writer and
 * {@code xla4j graph diff} read. Built from a {@link Program} or from StableHLO text (generic op form).
 *
 * <pre>{@code
 * OpGraph g = OpGraph.of(program);
 * Files.writeString(Path.of("graph.html"), GraphHtml.render(g));
 * }</pre>
 *
 * @param module the module's name
 * @param argNames argument value names as the ops refer to them ({@code %arg0}, ...)
 * @param argTypes argument types, as MLIR types
 * @param nodes the ops in program order
 */
public record OpGraph(String module, List<String> argNames, List<String> argTypes, List<OpNode> nodes) {
  /** Longest op text kept per node. */
  public static final int MAX_TEXT = 4000;

  public OpGraph {
    argNames = List.copyOf(argNames);
    argTypes = List.copyOf(argTypes);
    nodes = List.copyOf(nodes);
  }

  /**
   * The graph of {@code program}, read from its text with locations: the scopes, files and lines are
   * the ones XLA turns into op metadata, so what the viewer shows is what the compiler saw.
   */
  public static OpGraph of(Program program) {
    return GraphText.read(program.withLocations(true).text());
  }

  /**
   * The graph of StableHLO text in generic op form.
   *
   * @throws IllegalArgumentException when the text has no {@code func.func @main}
   */
  public static OpGraph read(String text) {
    return GraphText.read(text);
  }

  /** Static FLOPs of all ops. */
  public long flops() { return nodes.stream().mapToLong(OpNode::flops).sum(); }

  /** Bytes read and written by all ops, unfused. */
  public long bytes() { return nodes.stream().mapToLong(OpNode::bytes).sum(); }

  /** Bytes of all arguments (parameters and inputs). */
  public long argumentBytes() {
    long b = 0;
    for (String t : argTypes) {
      try {
        b += org.xla4j.types.TensorType.parse(t).byteSize();
      } catch (IllegalArgumentException e) {
        // not a static tensor: not counted
      }
    }
    return b;
  }

  /** Op count per kind, sorted by kind. */
  public Map<String, Integer> countsByKind() {
    Map<String, Integer> m = new TreeMap<>();
    for (OpNode n : nodes) m.merge(n.kind(), 1, Integer::sum);
    return m;
  }

  /** Custom-call count per call target, sorted. */
  public Map<String, Integer> customCalls() {
    Map<String, Integer> m = new TreeMap<>();
    java.util.regex.Pattern target = java.util.regex.Pattern.compile("call_target_name\\s*=\\s*\"([^\"]*)\"");
    for (OpNode n : nodes) {
      if (!n.kind().endsWith("custom_call")) continue;
      java.util.regex.Matcher t = target.matcher(n.text());
      m.merge(t.find() ? t.group(1) : "?", 1, Integer::sum);
    }
    return m;
  }

  /** FLOPs and bytes per scope path (each op counted in its scope and every enclosing one; "" is all). */
  public Map<String, long[]> costByScope() {
    Map<String, long[]> m = new TreeMap<>();
    for (OpNode n : nodes) {
      String s = n.scope();
      while (true) {
        long[] c = m.computeIfAbsent(s, k -> new long[3]);
        c[0] += n.flops();
        c[1] += n.bytes();
        c[2]++;
        if (s.isEmpty()) break;
        int slash = s.lastIndexOf('/');
        s = slash < 0 ? "" : s.substring(0, slash);
      }
    }
    return m;
  }

  /** StableHLO collectives at the top level, per kind: {@code [count, operand bytes]} (a sharded program's
   *  partitioner-inserted collectives appear only in the optimized HLO: see {@link HloSummary}). */
  public Map<String, long[]> collectives() {
    Map<String, long[]> m = new TreeMap<>();
    for (OpNode n : nodes) {
      String k = n.shortKind();
      if (!COLLECTIVE_KINDS.contains(k)) continue;
      long[] c = m.computeIfAbsent(k, x -> new long[2]);
      c[0]++;
      for (String t : n.inputTypes()) c[1] += bytesOf(t);
    }
    return m;
  }

  private static final java.util.Set<String> COLLECTIVE_KINDS = java.util.Set.of("all_reduce", "all_gather",
      "reduce_scatter", "all_to_all", "collective_permute", "collective_broadcast");

  /**
   * An estimate of peak live memory of intermediate values: ops run in program order, each op's results
   * live from the op until their last use (values no op reads, the program's results, stay live to the end); arguments are not
   * counted (the caller holds them), and nothing is fused or rematerialized. Compare with XLA's temp
   * bytes: fusion keeps many of these values out of memory, so XLA's figure is usually lower; a larger
   * XLA figure points at copies or layout changes XLA added.
   */
  public long peakLiveBytes() {
    Map<String, Integer> lastUse = new java.util.HashMap<>();
    for (OpNode n : nodes) {
      for (String in : n.inputs()) lastUse.put(valueOf(in), n.id());
    }
    long[] freedAt = new long[nodes.size() + 1];
    long live = 0;
    long peak = 0;
    for (OpNode n : nodes) {
      long size = 0;
      for (String t : n.resultTypes()) size += bytesOf(t);
      live += size;
      peak = Math.max(peak, live);
      Integer last = lastUse.get(n.name());
      if (last != null) freedAt[last] += size; // else a result of the program (or unused): live to the end
      live -= freedAt[n.id()];
      freedAt[n.id()] = 0;
    }
    return peak;
  }

  private static String valueOf(String operand) {
    int hash = operand.indexOf('#');
    return hash < 0 ? operand : operand.substring(0, hash);
  }

  private static long bytesOf(String mlirType) {
    try {
      return org.xla4j.types.TensorType.parse(mlirType).byteSize();
    } catch (IllegalArgumentException e) {
      return 0; // a token or other non-tensor type
    }
  }
}
