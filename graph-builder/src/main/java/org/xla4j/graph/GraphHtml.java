package org.xla4j.graph;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The graph viewer: one self-contained HTML page (inline script and style, nothing fetched) with the
 * ops grouped into collapsible name scopes (collapsed at first, rendered only when opened, ops in
 * chunks of 300), operand and result types on every op, per-op and per-scope static FLOPs and bytes,
 * search by value name, op kind, scope or source line ({@code ?q=...} or {@code #...} in the URL
 * searches on load), and a detail pane with the op's text, its Java source line, inputs and users.
 *
 * <pre>{@code
 * Files.writeString(Path.of("graph.html"), GraphHtml.render(OpGraph.of(program)));
 * }</pre>
 */
public final class GraphHtml {
  private GraphHtml() {}

  public static String render(OpGraph g) { return render(g, null); }

  /**
   * The viewer with the optimized HLO's fusions linked back to the ops built on the same Java line (the
   * fusion's metadata names the source line of its root op): the detail pane lists them, and search
   * finds ops by fusion name.
   *
   * @param optimized what XLA made of the program; null when unknown
   */
  public static String render(OpGraph g, HloSummary optimized) {
    String template;
    try (InputStream in = GraphHtml.class.getResourceAsStream("viewer.html")) {
      if (in == null) throw new IllegalStateException("graph viewer template viewer.html is missing from the jar");
      template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String title = g.module().replace("&", "&amp;").replace("<", "&lt;");
    return template.replace("__TITLE__", title).replace("__DATA__", data(g, optimized));
  }

  /** The page's data: operand types are not repeated per op; the page looks them up at their producer. */
  static String data(OpGraph g, HloSummary optimized) {
    StringBuilder b = new StringBuilder(256 + g.nodes().size() * 200);
    b.append("{\"module\":").append(Json.str(g.module())).append(",\"args\":[");
    for (int i = 0; i < g.argNames().size(); i++) {
      b.append(i == 0 ? "" : ",").append('[').append(Json.str(g.argNames().get(i))).append(',')
          .append(Json.str(g.argTypes().get(i))).append(']');
    }
    b.append("],\"ops\":[");
    for (int i = 0; i < g.nodes().size(); i++) {
      OpNode n = g.nodes().get(i);
      b.append(i == 0 ? "\n" : ",\n").append("{\"n\":").append(Json.str(n.name())).append(",\"k\":").append(Json.str(n.kind()))
          .append(",\"s\":").append(Json.str(n.scope())).append(",\"f\":").append(Json.str(n.file()))
          .append(",\"l\":").append(n.line()).append(",\"i\":").append(list(n.inputs()))
          .append(",\"o\":").append(list(n.resultTypes()))
          .append(",\"t\":").append(Json.str(n.text())).append(",\"fl\":").append(n.flops())
          .append(",\"b\":").append(n.bytes()).append('}');
    }
    b.append("],\"fusions\":[");
    if (optimized != null) {
      for (int i = 0; i < optimized.fusions().size(); i++) {
        HloSummary.Fusion f = optimized.fusions().get(i);
        b.append(i == 0 ? "" : ",").append('[').append(Json.str(f.name())).append(',').append(Json.str(f.kind()))
            .append(',').append(Json.str(f.opName())).append(',').append(Json.str(f.file())).append(',').append(f.line())
            .append(']');
      }
    }
    return b.append("]}").toString();
  }

  private static String list(List<String> xs) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < xs.size(); i++) b.append(i == 0 ? "" : ",").append(Json.str(xs.get(i)));
    return b.append(']').toString();
  }
}
