package org.xla4j.graph;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What XLA made of a program, read from its optimized HLO text: fusions (by kind, each with the source
 * op its metadata names), custom calls, and the collectives the partitioner inserted with the bytes
 * they move. The optimized HLO is where collectives of a sharded program first appear (the StableHLO
 * only carries shardings), and where a fusion's {@code metadata={op_name=... source_file=...
 * source_line=...}} points back to the Java line that built its root op.
 *
 * <pre>{@code
 * HloSummary s = HloSummary.read(exe.optimizedHlo().orElseThrow());
 * System.out.println(s.fusionsByKind() + " " + s.collectives());
 * }</pre>
 *
 * @param instructions instruction count over all computations (fused computations included)
 * @param fusions every fusion instruction, in text order
 * @param customCalls custom-call count per target
 * @param collectives per collective opcode: {@code [count, bytes]} (bytes of the largest array in the result)
 */
public record HloSummary(int instructions, List<Fusion> fusions, Map<String, Integer> customCalls,
    Map<String, long[]> collectives) {

  public HloSummary {
    fusions = List.copyOf(fusions);
    customCalls = Map.copyOf(customCalls);
    collectives = Map.copyOf(collectives);
  }

  /**
   * One fusion and where its root came from.
   *
   * @param name the instruction's name, e.g. {@code loop_add_fusion.3}
   * @param kind {@code kLoop}, {@code kInput}, {@code kOutput} or {@code kCustom}
   * @param opName the metadata's op_name (our name-scope path), empty when absent
   * @param file the metadata's source_file, empty when absent
   * @param line the metadata's source_line, 0 when absent
   */
  public record Fusion(String name, String kind, String opName, String file, int line) {}

  /** Opcodes counted as collectives (async pairs are counted at their start). */
  public static final Set<String> COLLECTIVES = Set.of("all-reduce", "all-gather", "reduce-scatter", "all-to-all",
      "ragged-all-to-all", "collective-permute", "collective-broadcast", "all-reduce-start", "all-gather-start",
      "collective-permute-start");

  // "  ROOT %name = TYPE opcode(" — the type never contains " word(", tuple types included.
  private static final Pattern INSTR = Pattern.compile("^\\s*(?:ROOT\\s+)?%?([\\w.\\-]+)\\s*=\\s*(.+?)\\s+([a-z][a-z0-9\\-]*)\\(");
  private static final Pattern KIND = Pattern.compile("\\bkind=(k\\w+)");
  private static final Pattern TARGET = Pattern.compile("custom_call_target=\"([^\"]*)\"");
  private static final Pattern OP_NAME = Pattern.compile("op_name=\"([^\"]*)\"");
  private static final Pattern FILE = Pattern.compile("source_file=\"([^\"]*)\"");
  private static final Pattern LINE = Pattern.compile("source_line=(\\d+)");
  private static final Pattern ARRAY = Pattern.compile("\\b(pred|[suf]\\d+|bf16|c64|c128|f8e\\w+|f4e\\w+)\\[([\\d,]*)\\]");

  /** Reads optimized HLO text (as {@code HloModule::ToString} prints it); lines that are not instructions are skipped. */
  public static HloSummary read(String hloText) {
    int n = 0;
    List<Fusion> fusions = new ArrayList<>();
    Map<String, Integer> calls = new TreeMap<>();
    Map<String, long[]> coll = new TreeMap<>();
    for (String line : hloText.split("\n")) {
      Matcher m = INSTR.matcher(line);
      if (!m.find()) continue;
      n++;
      String opcode = m.group(3);
      if (opcode.equals("fusion")) {
        fusions.add(new Fusion(m.group(1), group(KIND, line), group(OP_NAME, line), group(FILE, line),
            Integer.parseInt(group(LINE, line).isEmpty() ? "0" : group(LINE, line))));
      } else if (opcode.equals("custom-call")) {
        calls.merge(group(TARGET, line), 1, Integer::sum);
      } else if (COLLECTIVES.contains(opcode)) {
        long[] c = coll.computeIfAbsent(opcode.replace("-start", ""), k -> new long[2]);
        c[0]++;
        c[1] += largestArrayBytes(m.group(2));
      }
    }
    return new HloSummary(n, fusions, calls, coll);
  }

  /** Fusion count per kind, sorted. */
  public Map<String, Integer> fusionsByKind() {
    Map<String, Integer> m = new TreeMap<>();
    for (Fusion f : fusions) m.merge(f.kind().isEmpty() ? "?" : f.kind(), 1, Integer::sum);
    return m;
  }

  /** Total bytes moved by collectives. */
  public long collectiveBytes() {
    return collectives.values().stream().mapToLong(c -> c[1]).sum();
  }

  /** Fusions whose root was built at {@code file:line} (file compared by its last path element). */
  public List<Fusion> fusionsAt(String file, int line) {
    String base = baseName(file);
    return fusions.stream().filter(f -> f.line() == line && baseName(f.file()).equals(base)).toList();
  }

  static long largestArrayBytes(String type) {
    long best = 0;
    Matcher a = ARRAY.matcher(type);
    while (a.find()) {
      long elems = 1;
      for (String d : a.group(2).split(",")) if (!d.isEmpty()) elems *= Long.parseLong(d);
      best = Math.max(best, (elems * bits(a.group(1)) + 7) / 8);
    }
    return best;
  }

  private static int bits(String dtype) {
    if (dtype.equals("pred")) return 8;
    if (dtype.equals("bf16")) return 16;
    if (dtype.equals("c64")) return 64;
    if (dtype.equals("c128")) return 128;
    if (dtype.startsWith("f8")) return 8;
    if (dtype.startsWith("f4")) return 4;
    return Integer.parseInt(dtype.substring(1));
  }

  private static String baseName(String file) {
    int slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
    return slash < 0 ? file : file.substring(slash + 1);
  }

  private static String group(Pattern p, String line) {
    Matcher m = p.matcher(line);
    return m.find() ? m.group(1) : "";
  }
}
