package org.xla4j.ir;

import java.util.List;

/** One op placed in a block: what it is, the values it defines, and where it was built. */
public record Operation(Op op, List<Value> results, Location location) {
  public Operation {
    results = List.copyOf(results);
  }
}
