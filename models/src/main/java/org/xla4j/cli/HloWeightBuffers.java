package org.xla4j.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the buffers an optimized HLO module writes that are shaped like expert weights (dimensions include both
 * D and F): a gathered, sliced, dequantized or relaid-out copy of weights that a few-token MoE should read in
 * place. Only instructions outside fusion bodies count: inside a fusion nothing is written to memory.
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
   * One line {@code name = dtype[dims] opcode (in computation)} per top-level instruction whose result has
   * both {@code model} and {@code hidden} among its dimensions.
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
      boolean hasModel = false;
      boolean hasHidden = false;
      for (String d : i.group(3).split(",")) {
        long v = Long.parseLong(d);
        hasModel |= v == model;
        hasHidden |= v == hidden;
      }
      if (hasModel && hasHidden) {
        out.add(i.group(1) + " = " + i.group(2) + "[" + i.group(3) + "] " + i.group(4) + " (in " + computation + ")");
      }
    }
    return out;
  }
}
