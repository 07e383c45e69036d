package org.xla4j.types;

import java.util.List;

/**
 * The argument and result types of a program's entry function. A {@code Program} states its own;
 * {@code org.xla4j.program.ModuleText} reads one from external text.
 *
 * <pre>{@code
 * Signature sig = program.signature();
 * sig.args().get(0);      // tensor<2x3xf32>
 * }</pre>
 */
public record Signature(List<TensorType> args, List<TensorType> results) {
  public Signature {
    args = List.copyOf(args);
    results = List.copyOf(results);
  }
}
