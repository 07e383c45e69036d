package org.xla4j.ir;

import java.util.List;
import org.xla4j.sharding.Sharding;
import org.xla4j.types.TensorType;

/**
 * A finished function: its body, argument/result types and optional shardings (null entries mean
 * "unspecified").
 */
public record Func(String name, boolean isPublic, Block body, List<TensorType> argTypes,
    List<TensorType> resultTypes, List<Sharding> argShardings, List<Sharding> resultShardings) {
  public Func {
    argTypes = List.copyOf(argTypes);
    resultTypes = List.copyOf(resultTypes);
    argShardings = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(argShardings));
    resultShardings = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(resultShardings));
  }
}
