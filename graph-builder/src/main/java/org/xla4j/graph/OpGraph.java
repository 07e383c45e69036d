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
}
