package org.xla4j.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the buffers an optimized HLO module writes that are shaped like expert weights: a gathered, sliced,
 * dequantized or relaid-out copy of weights that a few-token MoE should read in place. Weight-shaped means two
 * adjacent runs of dimensions whose products are D and F (either order), so a copy split into scale blocks
 * ({@code [8, F / 8, D]}) counts as well as {@code [2, D, F]}; an activation of {@code E·T = D} rows by F would
 * count too (no shape tells them apart). Only instructions outside fusion bodies count: inside a fusion nothing
 * is written to memory.
 *
 * <pre>{@code
 * List<String> copies = HloWeightBuffers.find(exe.optimizedHlo().orElseThrow(), 6144, 32768);
 * }</pre>
 */
final class HloWeightBuffers {
  private HloWeightBuffers() {}

  private static final Pattern COMPUTATION = Pattern.compile("^(?:ENTRY\\s+)?%?([\\w.\\-]+)\\s.*\\{\\s*$");
  private static final Pattern INSTRUCTION = Pattern.compile(
      "^\\s*(?:ROOT\\s+)?%?([\\w.\\-]+)\\s*=\\s*(\\w+)\\[([\\d,]*)\\](?:\\{[^}]*\\})?\\s+([\\w\\-]+)\\(");
  private static final Pattern CALLS = Pattern.compile("calls=%?([\\w.\\-]+)");
  /** Ops that write no new bytes of their own. */
  private static final Set<String> VIEWS = Set.of("parameter", "get-tuple-element", "bitcast", "tuple", "constant");

  /**
   * One line {@code name = dtype[dims] opcode (in computation)} per top-level instruction whose result is
   * weight-shaped ({@link #weightShaped}).
   */
  static List<String> find(String hlo, long model, long hidden) {
    Set<String> fused = new HashSet<>();
    for (String line : hlo.split("\n")) {
      if (!line.contains(" fusion(")) continue;
      Matcher c = CALLS.matcher(line);
      while (c.find()) fused.add(c.group(1));
    }
    List<String> out = new ArrayList<>();
    String computation = "";
    for (String line : hlo.split("\n")) {
      Matcher i = INSTRUCTION.matcher(line);
      if (!i.find()) {
        Matcher c = COMPUTATION.matcher(line);
        if (c.find()) computation = c.group(1);
        continue;
      }
      if (fused.contains(computation) || VIEWS.contains(i.group(4)) || i.group(3).isEmpty()) continue;
      String[] ds = i.group(3).split(",");
      long[] dims = new long[ds.length];
      for (int k = 0; k < ds.length; k++) dims[k] = Long.parseLong(ds[k]);
      if (weightShaped(dims, model, hidden)) {
        out.add(i.group(1) + " = " + i.group(2) + "[" + i.group(3) + "] " + i.group(4) + " (in " + computation + ")");
      }
    }
    return out;
  }

  /** Whether two adjacent runs of {@code dims} have products {@code model} and {@code hidden}, in either order. */
  static boolean weightShaped(long[] dims, long model, long hidden) {
    for (int start = 0; start < dims.length; start++) {
      long first = 1;
      for (int mid = start; mid < dims.length; mid++) {
        first *= dims[mid];
        if (first > Math.max(model, hidden)) break;       // products only grow (dims >= 1); also no overflow
        if (first != model && first != hidden) continue;
        long want = first == model ? hidden : model;
        long second = 1;
        for (int end = mid + 1; end < dims.length && second < want; end++) {
          second *= dims[end];
          if (second == want) return true;
        }
      }
    }
    return false;
  }
}
