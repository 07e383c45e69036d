package org.xla4j.program;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.Sharding;
import org.xla4j.sharding.ShardingText;
import org.xla4j.types.Signature;
import org.xla4j.types.TensorType;

/**
 * What a backend needs to know about StableHLO text that xla4j did not build (a JAX export, a file
 * given to {@code xla4j exec}): the one reader of such text. It reads {@code @main}'s argument and
 * result types with their attribute dictionaries, and the module's device counts, in the pretty or the
 * generic op form; {@code //} comments and string contents are never mistaken for structure. A program
 * built here is a {@link Program}, which states all of this without parsing.
 *
 * <pre>{@code
 * ModuleText m = ModuleText.read(Files.readString(Path.of("export.mlir")));
 * m.signature().args();      // [tensor<4x8xf32>, ...]
 * m.numPartitions();         // from mhlo.num_partitions, 1 when absent
 * }</pre>
 *
 * @param text the module text as given
 * @param signature {@code @main}'s argument and result types
 * @param argAttributes each argument's attribute dictionary text ("" when none), e.g.
 *     {@code {mhlo.sharding = "{replicated}"}}
 * @param resultAttributes each result's attribute dictionary text ("" when none)
 * @param numPartitions {@code mhlo.num_partitions} (1 when the module does not say)
 * @param numReplicas {@code mhlo.num_replicas} (1 when the module does not say)
 * @param shardy whether the module carries Shardy ({@code sdy}) annotations
 */
public record ModuleText(String text, Signature signature, List<String> argAttributes,
    List<String> resultAttributes, int numPartitions, int numReplicas, boolean shardy) {
  public ModuleText {
    argAttributes = List.copyOf(argAttributes);
    resultAttributes = List.copyOf(resultAttributes);
  }

  private static final Pattern PRETTY_MAIN = Pattern.compile("func\\.func\\s+(?:(?:public|private)\\s+)?@main\\s*\\(");
  private static final Pattern COUNT = Pattern.compile("mhlo\\.num_(partitions|replicas)\\s*=\\s*(\\d+)");
  private static final Pattern SDY = Pattern.compile("\\bsdy\\.(mesh|sharding)\\b");
  private static final Pattern GSPMD = Pattern.compile("mhlo\\.sharding\\s*=\\s*\"([^\"]*)\"");
  private static final Pattern SDY_ATTR = Pattern.compile("sdy\\.sharding\\s*=\\s*#sdy\\.sharding<");

  /**
   * Reads {@code text}. Only ranked, statically shaped tensor arguments and results are supported.
   *
   * @throws IllegalArgumentException saying what is missing or unsupported, naming the argument
   */
  public static ModuleText read(String text) {
    String code = mask(text);
    List<Entry> args;
    List<Entry> results;
    Matcher m = PRETTY_MAIN.matcher(code);
    if (m.find()) {
      int open = m.end() - 1;
      int close = matching(code, open);
      args = entries(text, code, open + 1, close, true, "argument");
      int i = skipSpace(code, close + 1);
      if (code.startsWith("->", i)) {
        i = skipSpace(code, i + 2);
        if (code.charAt(i) == '(') {
          results = entries(text, code, i + 1, matching(code, i), false, "result");
        } else {
          results = List.of(new Entry(type(text, code, i, "result 0"), ""));
        }
      } else {
        results = List.of();
      }
    } else {
      int[] generic = genericMain(text, code);
      args = entries(text, code, generic[0] + 1, generic[1], false, "argument");
      int i = skipSpace(code, generic[1] + 1);
      if (!code.startsWith("->", i)) throw new IllegalArgumentException("cannot read @main's function_type: no '->'");
      i = skipSpace(code, i + 2);
      results = code.charAt(i) == '('
          ? entries(text, code, i + 1, matching(code, i), false, "result")
          : List.of(new Entry(type(text, code, i, "result 0"), ""));
      args = withGenericAttrs(text, code, generic[2], generic[3], "arg_attrs", args);
      results = withGenericAttrs(text, code, generic[2], generic[3], "res_attrs", results);
    }
    int partitions = 1;
    int replicas = 1;
    Matcher c = COUNT.matcher(code);
    boolean seenP = false;
    boolean seenR = false;
    while (c.find()) {
      int v = Integer.parseInt(c.group(2));
      if (c.group(1).equals("partitions") && !seenP) { partitions = v; seenP = true; }
      if (c.group(1).equals("replicas") && !seenR) { replicas = v; seenR = true; }
    }
    boolean shardy = SDY.matcher(code).find() || text.contains("\"sdy.mesh\"");
    return new ModuleText(text,
        new Signature(args.stream().map(Entry::type).toList(), results.stream().map(Entry::type).toList()),
        args.stream().map(Entry::attrs).toList(), results.stream().map(Entry::attrs).toList(),
        partitions, replicas, shardy);
  }

  /**
   * The sharding attribute of each result as an assignment text ({@code mhlo.sharding = "..."} or
   * {@code sdy.sharding = #sdy.sharding<...>}), "" where there is none.
   */
  public List<String> resultShardingTexts() { return resultAttributes.stream().map(ModuleText::shardingText).toList(); }

  /** As {@link #resultShardingTexts()} for the arguments. */
  public List<String> argShardingTexts() { return argAttributes.stream().map(ModuleText::shardingText).toList(); }

  /**
   * Each result's sharding where the text states it: in GSPMD form with a mesh equivalent, or in Shardy
   * form over a mesh the module declares ({@code sdy.mesh}, pretty form) with closed dimension shardings
   * of whole axes; null where it states none or another form (sub-axes, open dimensions, priorities,
   * maximal or manual).
   */
  public List<Sharding> resultShardings() {
    java.util.Map<String, Mesh> meshes = shardyMeshes(text, mask(text));
    List<Sharding> out = new ArrayList<>();
    for (int j = 0; j < resultAttributes.size(); j++) {
      String a = resultAttributes.get(j);
      int rank = signature.results().get(j).rank();
      Sharding s = gspmdSharding(a, rank);
      out.add(s != null ? s : shardySharding(shardingText(a), rank, meshes));
    }
    return java.util.Collections.unmodifiableList(out);
  }

  private static final Pattern SDY_MESH = Pattern.compile("\\bsdy\\.mesh\\s+@([A-Za-z_][A-Za-z0-9_]*)\\s*=\\s*<");
  private static final Pattern MESH_AXIS = Pattern.compile("\"([^\"]+)\"\\s*=\\s*(\\d+)");
  private static final Pattern DEVICE_IDS = Pattern.compile("device_ids\\s*=\\s*\\[([\\d,\\s]*)\\]");
  private static final Pattern SDY_SHARDING =
      Pattern.compile("sdy\\.sharding\\s*=\\s*#sdy\\.sharding<@([A-Za-z_][A-Za-z0-9_]*)\\s*,\\s*\\[(.*)\\]\\s*>",
          Pattern.DOTALL);

  /** The module's {@code sdy.mesh} declarations (pretty form), by name; a mesh that does not read is left out. */
  private static java.util.Map<String, Mesh> shardyMeshes(String text, String code) {
    java.util.Map<String, Mesh> out = new java.util.LinkedHashMap<>();
    Matcher m = SDY_MESH.matcher(code);
    while (m.find()) {
      int depth = 0;
      int end = -1;
      for (int i = m.end() - 1; i < code.length() && end < 0; i++) {
        if (code.charAt(i) == '<') depth++;
        else if (code.charAt(i) == '>' && --depth == 0) end = i;
      }
      if (end < 0) continue;
      String body = text.substring(m.end(), end);
      java.util.LinkedHashMap<String, Integer> axes = new java.util.LinkedHashMap<>();
      Matcher a = MESH_AXIS.matcher(body);
      while (a.find()) axes.put(a.group(1), Integer.parseInt(a.group(2)));
      try {
        Matcher ids = DEVICE_IDS.matcher(body);
        Mesh mesh = Mesh.of(m.group(1), axes);
        if (ids.find() && !ids.group(1).isBlank()) {
          List<Integer> d = new ArrayList<>();
          for (String x : ids.group(1).split(",")) d.add(Integer.parseInt(x.strip()));
          mesh = new Mesh(m.group(1), axes, d);
        }
        out.put(m.group(1), mesh);
      } catch (IllegalArgumentException e) {
        // a mesh xla4j cannot represent (e.g. a maximal mesh): its shardings stay unknown
      }
    }
    return out;
  }

  /** A Shardy sharding of whole axes over a declared mesh, or null. */
  private static Sharding shardySharding(String attr, int rank, java.util.Map<String, Mesh> meshes) {
    Matcher m = SDY_SHARDING.matcher(attr);
    if (!m.matches()) return null;
    Mesh mesh = meshes.get(m.group(1));
    if (mesh == null) return null;
    String dims = m.group(2).strip();
    List<List<String>> spec = new ArrayList<>();
    if (!dims.isEmpty()) {
      for (String d : dims.split("\\}\\s*,\\s*\\{")) {
        String inner = d.replace("{", "").replace("}", "").strip();
        List<String> axes = new ArrayList<>();
        if (!inner.isEmpty()) {
          for (String ax : inner.split(",")) {
            String t = ax.strip();
            if (!t.matches("\"[^\"]+\"")) return null; // sub-axis, open dimension, priority
            axes.add(t.substring(1, t.length() - 1));
          }
        }
        spec.add(axes);
      }
    }
    if (spec.size() != rank) return null;
    if (spec.stream().allMatch(List::isEmpty)) return Sharding.replicated();
    try {
      return Sharding.named(mesh, new org.xla4j.sharding.PartitionSpec(spec));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The sharding an attribute text states in GSPMD form, or null (none, or no mesh equivalent). */
  public static Sharding gspmdSharding(String attrs, int rank) {
    Matcher m = GSPMD.matcher(attrs == null ? "" : attrs);
    if (!m.find()) return null;
    try {
      return ShardingText.parseGspmd(m.group(1), rank);
    } catch (IllegalArgumentException e) {
      return null; // maximal, manual: shards of unknown layout
    }
  }

  private static String shardingText(String attrs) {
    Matcher g = GSPMD.matcher(attrs);
    if (g.find()) return g.group();
    Matcher s = SDY_ATTR.matcher(attrs);
    if (s.find()) {
      int depth = 0;
      for (int i = s.end() - 1; i < attrs.length(); i++) {
        char ch = attrs.charAt(i);
        if (ch == '<') depth++;
        else if (ch == '>' && --depth == 0) return attrs.substring(s.start(), i + 1);
      }
    }
    return "";
  }

  // ---------------------------------------------------------------- reading

  private record Entry(TensorType type, String attrs) {}

  /**
   * The text with comments blanked and string contents blanked (quotes kept), same length: structure
   * is searched there, values are cut from the original at the same positions.
   */
  static String mask(String text) {
    char[] c = text.toCharArray();
    boolean inString = false;
    for (int i = 0; i < c.length; i++) {
      if (inString) {
        if (c[i] == '\\' && i + 1 < c.length) {
          c[i] = ' ';
          if (c[i + 1] != '\n') c[++i] = ' ';
        } else if (c[i] == '"') {
          inString = false;
        } else if (c[i] != '\n') {
          c[i] = ' ';
        }
      } else if (c[i] == '"') {
        inString = true;
      } else if (c[i] == '/' && i + 1 < c.length && c[i + 1] == '/') {
        while (i < c.length && c[i] != '\n') c[i++] = ' ';
      }
    }
    return new String(c);
  }

  /** In the generic form: {open '(' of function_type, its ')', start and end of main's properties}. */
  private static int[] genericMain(String text, String code) {
    int from = 0;
    while (true) {
      int q = text.indexOf("\"func.func\"", from);
      if (q < 0) break;
      from = q + 1;
      if (code.charAt(q) != '"' || code.charAt(q + 10) != '"') continue; // inside a comment or another string
      int props = code.indexOf("<{", q);
      if (props < 0) break;
      int end = matchingAngleProps(code, props);
      if (!propertyIs(text, code, props, end, "sym_name", "\"main\"")) continue;
      int ft = find(code, props, end, "function_type");
      if (ft < 0) break;
      int open = code.indexOf('(', ft);
      return new int[] {open, matching(code, open), props, end};
    }
    throw new IllegalArgumentException("module has no 'func.func @main': cannot read its signature");
  }

  private static int matchingAngleProps(String code, int start) {
    int depth = 0;
    for (int i = start; i < code.length(); i++) {
      if (code.startsWith("<{", i)) { depth++; i++; } else if (code.startsWith("}>", i) && --depth == 0) return i;
    }
    throw new IllegalArgumentException("unbalanced '<{' in module text");
  }

  private static boolean propertyIs(String text, String code, int from, int to, String name, String value) {
    int at = find(code, from, to, name);
    if (at < 0) return false;
    int i = skipSpace(code, at + name.length());
    if (code.charAt(i) != '=') return false;
    i = skipSpace(code, i + 1);
    return text.startsWith(value, i);
  }

  /** Position of {@code word} as a whole word in code[from, to), or -1. */
  private static int find(String code, int from, int to, String word) {
    Matcher m = Pattern.compile("\\b" + Pattern.quote(word) + "\\b").matcher(code).region(from, to);
    return m.find() ? m.start() : -1;
  }

  private static List<Entry> withGenericAttrs(String text, String code, int from, int to, String name, List<Entry> es) {
    int at = find(code, from, to, name);
    if (at < 0) return es;
    int open = code.indexOf('[', at);
    int close = matching(code, open);
    List<int[]> parts = split(code, open + 1, close);
    List<Entry> out = new ArrayList<>();
    for (int k = 0; k < es.size(); k++) {
      String a = k < parts.size() ? text.substring(parts.get(k)[0], parts.get(k)[1]).strip() : "";
      out.add(new Entry(es.get(k).type(), a.equals("{}") ? "" : a));
    }
    return out;
  }

  /** Entries of a list between from and to: {@code %name: TYPE {attrs}} (named) or {@code TYPE {attrs}}. */
  private static List<Entry> entries(String text, String code, int from, int to, boolean named, String what) {
    List<Entry> out = new ArrayList<>();
    for (int[] part : split(code, from, to)) {
      int i = skipSpace(code, part[0]);
      String label = what + " " + out.size();
      if (named) {
        int colon = code.indexOf(':', i);
        if (colon < 0 || colon >= part[1]) {
          throw new IllegalArgumentException("cannot read @main's " + label + ": " + text.substring(i, part[1]).strip());
        }
        label += " (" + text.substring(i, colon).strip() + ")";
        i = skipSpace(code, colon + 1);
      }
      int typeEnd = typeEnd(code, i, label, text);
      TensorType t = type(text, code, i, label);
      int a = skipSpace(code, typeEnd);
      String attrs = a < part[1] && code.charAt(a) == '{' ? text.substring(a, matching(code, a) + 1) : "";
      out.add(new Entry(t, attrs));
    }
    return out;
  }

  private static TensorType type(String text, String code, int i, String label) {
    int end = typeEnd(code, i, label, text);
    String t = text.substring(i, end);
    if (t.startsWith("tuple<")) {
      throw new IllegalArgumentException("@main's " + label + " has the tuple type " + t
          + "; xla4j reads tensor arguments and results only: pass the tuple's tensors as separate arguments");
    }
    if (!t.startsWith("tensor<")) {
      throw new IllegalArgumentException("@main's " + label + " has the type " + t + ", not a tensor; xla4j reads"
          + " tensor arguments and results only");
    }
    return TensorType.parse(t);
  }

  /** End of the type starting at i: an identifier followed by a balanced {@code <...>}. */
  private static int typeEnd(String code, int i, String label, String text) {
    int j = i;
    while (j < code.length() && (Character.isLetterOrDigit(code.charAt(j)) || code.charAt(j) == '_'
        || code.charAt(j) == '!' || code.charAt(j) == '.')) j++;
    if (j < code.length() && code.charAt(j) == '<') {
      int depth = 0;
      for (; j < code.length(); j++) {
        if (code.charAt(j) == '<') depth++;
        else if (code.charAt(j) == '>' && --depth == 0) return j + 1;
      }
      throw new IllegalArgumentException("@main's " + label + ": unbalanced '<' in its type");
    }
    if (j == i) {
      throw new IllegalArgumentException("cannot read the type of @main's " + label + " near: "
          + text.substring(i, Math.min(text.length(), i + 40)));
    }
    return j;
  }

  /** [start, end) of each top-level comma-separated part of code[from, to). */
  private static List<int[]> split(String code, int from, int to) {
    List<int[]> out = new ArrayList<>();
    int depth = 0;
    int start = from;
    for (int i = from; i <= to; i++) {
      char c = i < to ? code.charAt(i) : ',';
      if (c == '(' || c == '{' || c == '[' || c == '<') depth++;
      else if (c == ')' || c == '}' || c == ']' || c == '>') depth--;
      else if (c == '-' && i + 1 < to && code.charAt(i + 1) == '>') i++; // "->" inside a nested function type
      else if (c == ',' && depth == 0) {
        if (!code.substring(start, i).isBlank()) out.add(new int[] {start, i});
        start = i + 1;
      }
    }
    return out;
  }

  private static int skipSpace(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    return i;
  }

  /** The bracket closing the one at {@code open} ('(', '[' or '{'), in masked text. */
  private static int matching(String code, int open) {
    char o = code.charAt(open);
    char c = o == '(' ? ')' : o == '[' ? ']' : '}';
    int depth = 0;
    for (int i = open; i < code.length(); i++) {
      char ch = code.charAt(i);
      if (ch == o) depth++;
      else if (ch == c && --depth == 0) return i;
    }
    throw new IllegalArgumentException("unbalanced '" + o + "' in module text");
  }
}
