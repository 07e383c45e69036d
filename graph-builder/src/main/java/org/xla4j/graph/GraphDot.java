package org.xla4j.graph;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The graph as Graphviz DOT: name scopes as nested clusters, ops as nodes labelled with their kind and
 * Java line, edges labelled with the operand's type.
 *
 * <pre>{@code
 * Files.writeString(Path.of("graph.dot"), GraphDot.render(OpGraph.of(program)));   // dot -Tsvg graph.dot
 * }</pre>
 */
public final class GraphDot {
  private GraphDot() {}

  public static String render(OpGraph g) {
    StringBuilder b = new StringBuilder("digraph ").append(q(g.module())).append(" {\n  rankdir=TB;\n  node [shape=box, fontsize=10];\n");
    Map<String, String> producer = new HashMap<>();
    for (int i = 0; i < g.argNames().size(); i++) {
      String id = "a" + i;
      producer.put(g.argNames().get(i), id);
      b.append("  ").append(id).append(" [shape=ellipse, label=").append(q(g.argNames().get(i) + "\n" + g.argTypes().get(i)))
          .append("];\n");
    }
    Scope root = new Scope();
    for (OpNode n : g.nodes()) {
      Scope s = root;
      if (!n.scope().isEmpty()) for (String part : n.scope().split("/")) s = s.kids.computeIfAbsent(part, k -> new Scope());
      s.nodes.add(n);
      producer.put(n.name(), "n" + n.id());
      for (int r = 0; r < n.resultTypes().size(); r++) producer.put(n.name() + "#" + r, "n" + n.id());
    }
    emit(b, root, "", "  ");
    for (OpNode n : g.nodes()) {
      for (int j = 0; j < n.inputs().size(); j++) {
        String from = producer.get(n.inputs().get(j));
        if (from == null) continue;
        String type = j < n.inputTypes().size() ? n.inputTypes().get(j) : "";
        b.append("  ").append(from).append(" -> n").append(n.id()).append(" [label=").append(q(type)).append(", fontsize=8];\n");
      }
    }
    return b.append("}\n").toString();
  }

  private static final class Scope {
    final Map<String, Scope> kids = new LinkedHashMap<>();
    final List<OpNode> nodes = new java.util.ArrayList<>();
  }

  private static void emit(StringBuilder b, Scope s, String path, String indent) {
    for (OpNode n : s.nodes) {
      String where = n.line() > 0 ? "\n" + n.file() + ":" + n.line() : "";
      b.append(indent).append('n').append(n.id()).append(" [label=").append(q(n.shortKind() + " " + n.name() + where))
          .append("];\n");
    }
    for (Map.Entry<String, Scope> e : s.kids.entrySet()) {
      String p = path.isEmpty() ? e.getKey() : path + "/" + e.getKey();
      b.append(indent).append("subgraph ").append(q("cluster_" + p)).append(" {\n").append(indent).append("  label=")
          .append(q(e.getKey())).append(";\n");
      emit(b, e.getValue(), p, indent + "  ");
      b.append(indent).append("}\n");
    }
  }

  private static String q(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
  }
}
