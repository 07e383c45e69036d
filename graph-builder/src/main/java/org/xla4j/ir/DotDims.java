package org.xla4j.ir;

import java.util.List;

/**
 * Dimension numbers of {@code stablehlo.dot_general}: batch and contracting dimensions of each side.
 *
 * <pre>{@code
 * // batched matmul [b,m,k] x [b,k,n]
 * DotDims d = new DotDims(List.of(0), List.of(0), List.of(2), List.of(1));
 * }</pre>
 */
public record DotDims(List<Integer> lhsBatch, List<Integer> rhsBatch, List<Integer> lhsContracting,
    List<Integer> rhsContracting) {
  public DotDims {
    lhsBatch = List.copyOf(lhsBatch);
    rhsBatch = List.copyOf(rhsBatch);
    lhsContracting = List.copyOf(lhsContracting);
    rhsContracting = List.copyOf(rhsContracting);
  }

  /** Plain matrix product of a rank-2 lhs and rhs. */
  public static DotDims matmul() {
    return new DotDims(List.of(), List.of(), List.of(1), List.of(0));
  }
}
