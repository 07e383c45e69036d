package org.xla4j.dsl;

import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;

/** Shared helpers: build a graph's main from outputs and print it. */
final class DslTesting {
  private DslTesting() {}

  static String text(Graph g, Tensor... outputs) {
    return StableHloPrinter.print(g.build(outputs), EmitOptions.unsharded());
  }

  static int count(String text, String fragment) {
    int n = 0;
    for (int i = text.indexOf(fragment); i >= 0; i = text.indexOf(fragment, i + 1)) n++;
    return n;
  }
}
