package org.xla4j.internalfake;

import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;

/**
 * Stands for library code in an org.xla4j package that graph-builder does not know about (the runtime,
 * the CLI, a layer not yet loaded): it builds a bad op on its caller's behalf.
 */
public final class InternalHelper {
  private InternalHelper() {}

  public static Tensor addMismatched() {
    Graph g = new Graph("bad");
    Tensor a = g.parameter(DType.F32, 2, 3);
    Tensor b = g.parameter(DType.F32, 4, 5);
    return a.add(b);
  }
}
