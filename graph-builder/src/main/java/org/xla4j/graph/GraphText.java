package org.xla4j.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xla4j.types.TensorType;

/**
 * Reads the {@code @main} function of StableHLO text in MLIR's generic op form (what our printer and
 * JAX's {@code as_text(debug_info=True)} generic output write) into an {@link OpGraph}: one node per
 * top-level op, with operands, types and locations ({@code loc("scope/op"("File.java":42:0))}, plain
 * file locations, and {@code #locN} aliases). Ops inside regions stay part of their parent's text.
 * Lines it does not understand are skipped, so a newer dialect degrades to a smaller graph, not an error.
 */
final class GraphText {
  private static final Pattern MAIN = Pattern.compile("func\\.func\\s+(?:public\\s+)?@main\\s*\\(");
  private static final Pattern ARG = Pattern.compile("(%arg\\d+)\\s*:\\s*(tensor<[^>]*>)");
  private static final Pattern RESULT = Pattern.compile("^(%[\\w.$-]+)(?::(\\d+))?\\s*=\\s*");
  private static final Pattern KIND = Pattern.compile("^\"([\\w.$]+)\"\\s*\\(([^)]*)\\)");
  private static final Pattern VALUE = Pattern.compile("%[\\w.$-]+(?:#\\d+)?");
  private static final Pattern TENSOR = Pattern.compile("tensor<[^>]*>");
  private static final Pattern LHS_CONTRACTING = Pattern.compile("lhs_contracting_dimensions\\s*=\\s*\\[([^\\]]*)\\]");
  private static final Pattern LOC_ALIAS = Pattern.compile("^(#loc\\d*)\\s*=\\s*(loc\\(.*\\))\\s*$");
  private static final Pattern NAMED_LOC = Pattern.compile("loc\\(\"((?:[^\"\\\\]++|\\\\.)*+)\"\\((.*)\\)\\)\\s*$");
  private static final Pattern FILE_LOC = Pattern.compile("\"((?:[^\"\\\\]++|\\\\.)*+)\":(\\d+):\\d+");
  private static final Pattern LOC_REF = Pattern.compile("loc\\((#loc\\d*)\\)\\s*$");

  private GraphText() {}

  static OpGraph read(String text) {
    String[] lines = text.split("\n", -1);
    Map<String, String> aliases = new HashMap<>();
    for (String l : lines) {
      Matcher m = LOC_ALIAS.matcher(l.strip());
      if (m.matches()) aliases.put(m.group(1), m.group(2));
    }
    String module = "module";
    Matcher mod = Pattern.compile("module\\s+@([\\w.$-]+)").matcher(text);
    if (mod.find()) module = mod.group(1);
    int start = -1;
    for (int i = 0; i < lines.length && start < 0; i++) if (MAIN.matcher(lines[i]).find()) start = i;
    if (start < 0) throw new IllegalArgumentException("graph: the text has no func.func @main");
    List<String> argNames = new ArrayList<>();
    List<String> argTypes = new ArrayList<>();
    StringBuilder header = new StringBuilder(lines[start]);
    int i = start;
    while (!header.toString().contains("{") || !lines[i].stripTrailing().endsWith("{")) {
      if (++i >= lines.length) break;
      header.append(lines[i]);
    }
    String sigText = header.toString();
    int arrow = sigText.indexOf(") -> ");
    Matcher am = ARG.matcher(arrow < 0 ? sigText : sigText.substring(0, arrow));
    while (am.find()) {
      argNames.add(am.group(1));
      argTypes.add(am.group(2));
    }
    List<OpNode> nodes = new ArrayList<>();
    String indent = null;
    StringBuilder stmt = null;
    for (i = i + 1; i < lines.length; i++) {
      String l = lines[i];
      if (l.isBlank()) continue;
      String lead = l.substring(0, l.length() - l.stripLeading().length());
      if (indent == null) indent = lead;
      if (lead.length() < indent.length()) break; // the closing brace of @main
      if (stmt != null) {
        stmt.append('\n').append(l);
        if (lead.equals(indent) && l.stripLeading().startsWith("})")) {
          add(nodes, stmt.toString(), aliases);
          stmt = null;
        }
        continue;
      }
      if (!lead.equals(indent)) continue;
      String s = l.strip();
      if (opensRegion(s)) stmt = new StringBuilder(l);
      else add(nodes, l, aliases);
    }
    return new OpGraph(module, argNames, argTypes, nodes);
  }

  /** A statement whose regions continue on the next lines: {@code ... ({} at the end, or {@code ({} after the operands. */
  private static boolean opensRegion(String s) {
    return s.endsWith("({") || s.endsWith("{") && s.contains(") ({");
  }

  private static void add(List<OpNode> nodes, String stmt, Map<String, String> aliases) {
    String s = stmt.strip();
    String name = "";
    Matcher r = RESULT.matcher(s);
    if (r.find()) {
      name = r.group(1);
      s = s.substring(r.end());
    }
    Matcher k = KIND.matcher(s);
    if (!k.find()) return;
    String kind = k.group(1);
    if (kind.equals("func.return") || kind.equals("stablehlo.return")) return;
    List<String> inputs = new ArrayList<>();
    Matcher v = VALUE.matcher(k.group(2));
    while (v.find()) inputs.add(v.group());
    String last = s.substring(s.lastIndexOf('\n') + 1);
    if (s.indexOf('\n') < 0) last = s.substring(k.end());
    int colon = signatureStart(last);
    List<String> inTypes = new ArrayList<>();
    List<String> outTypes = new ArrayList<>();
    String locText = "";
    if (colon >= 0) {
      String sig = last.substring(colon + 1);
      int loc = sig.lastIndexOf(" loc(");
      if (loc >= 0) {
        locText = sig.substring(loc + 1).strip();
        sig = sig.substring(0, loc);
      }
      int arrow = sig.indexOf("->");
      collect(arrow < 0 ? sig : sig.substring(0, arrow), inTypes);
      if (arrow >= 0) collect(sig.substring(arrow + 2), outTypes);
    }
    String[] where = location(locText, aliases);
    // a scan prints as a while whose location says "scan" (see StableHloPrinter): show it as the scan it is
    if (kind.equals("stablehlo.while") && where[3].equals("scan")) kind = "xla4j.scan";
    List<Integer> contracting = new ArrayList<>();
    Matcher c = LHS_CONTRACTING.matcher(s);
    if (c.find()) for (String d : c.group(1).split(",")) if (!d.isBlank()) contracting.add(Integer.parseInt(d.strip()));
    List<TensorType> in = parsed(inTypes);
    List<TensorType> out = parsed(outTypes);
    String text = stmt.strip();
    if (text.length() > OpGraph.MAX_TEXT) text = text.substring(0, OpGraph.MAX_TEXT) + " ...";
    nodes.add(new OpNode(nodes.size(), name, kind, where[0], where[1], Integer.parseInt(where[2]), inputs, inTypes,
        outTypes, text, StaticCost.flops(kind, in, out, contracting), StaticCost.bytes(in, out)));
  }

  /** Index of the ':' that starts the type signature: the last " : (" or " : tensor" outside quotes. */
  private static int signatureStart(String line) {
    int best = -1;
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (ch == '\\' && quoted) i++;
      else if (ch == '"') quoted = !quoted;
      else if (!quoted && ch == ':' && i > 0 && line.charAt(i - 1) == ' ' && i + 1 < line.length()
          && line.charAt(i + 1) == ' ') best = i;
    }
    return best;
  }

  private static void collect(String s, List<String> out) {
    Matcher t = TENSOR.matcher(s);
    while (t.find()) out.add(t.group());
  }

  private static List<TensorType> parsed(List<String> types) {
    List<TensorType> out = new ArrayList<>(types.size());
    for (String t : types) {
      try {
        out.add(TensorType.parse(t.replaceAll(",\\s*#.*>$", ">")));
      } catch (IllegalArgumentException e) {
        // a type we cannot size (dynamic, encoded): the op counts as free rather than failing the read
      }
    }
    return out;
  }

  /** {scope, file, line, op label} of a location text. */
  private static String[] location(String loc, Map<String, String> aliases) {
    for (int hops = 0; hops < 8; hops++) {
      Matcher ref = LOC_REF.matcher(loc);
      if (!ref.find() || !aliases.containsKey(ref.group(1))) break;
      loc = aliases.get(ref.group(1));
    }
    String scope = "";
    String op = "";
    Matcher named = NAMED_LOC.matcher(loc);
    String rest = loc;
    if (named.find()) {
      String label = unescape(named.group(1));
      int slash = label.lastIndexOf('/');
      scope = slash < 0 ? "" : label.substring(0, slash);
      op = label.substring(slash + 1);
      rest = named.group(2);
      Matcher inner = LOC_REF.matcher(rest.strip() + ")");
      if (rest.strip().startsWith("#loc") && aliases.containsKey(rest.strip())) rest = aliases.get(rest.strip());
      else if (inner.find() && aliases.containsKey(inner.group(1))) rest = aliases.get(inner.group(1));
    }
    Matcher f = FILE_LOC.matcher(rest);
    if (f.find()) return new String[] {scope, unescape(f.group(1)), f.group(2), op};
    return new String[] {scope, "unknown", "0", op};
  }

  private static String unescape(String s) {
    return s.replace("\\\"", "\"").replace("\\\\", "\\");
  }
}
