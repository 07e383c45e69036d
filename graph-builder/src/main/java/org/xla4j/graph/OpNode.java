package org.xla4j.graph;

import java.util.List;

/**
 * One op of an {@link OpGraph}: its value name, kind, where it was built, what it reads and makes,
 * its text and its static cost.
 *
 * @param id position in the graph, 0-based
 * @param name the op's first result name in the text, e.g. {@code %12}
 * @param kind the op's dialect name, e.g. {@code stablehlo.dot_general}
 * @param scope the name-scope path the op was built under, empty at the top
 * @param file the user's Java file, {@code "unknown"} when the text carries no location
 * @param line the user's line, 0 when unknown
 * @param inputs operand value names ({@code %3}, {@code %4#1}, {@code %arg0})
 * @param inputTypes operand types, as MLIR types
 * @param resultTypes result types, as MLIR types
 * @param text the op's text as printed (cut at {@link OpGraph#MAX_TEXT} characters)
 * @param flops static FLOP count ({@link StaticCost})
 * @param bytes bytes the op reads and writes (operands plus results)
 */
public record OpNode(int id, String name, String kind, String scope, String file, int line, List<String> inputs,
    List<String> inputTypes, List<String> resultTypes, String text, long flops, long bytes) {
  public OpNode {
    inputs = List.copyOf(inputs);
    inputTypes = List.copyOf(inputTypes);
    resultTypes = List.copyOf(resultTypes);
  }

  /** The kind without its dialect: {@code dot_general}. */
  public String shortKind() {
    int dot = kind.indexOf('.');
    return dot < 0 ? kind : kind.substring(dot + 1);
  }
}
