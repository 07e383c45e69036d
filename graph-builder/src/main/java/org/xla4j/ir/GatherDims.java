package org.xla4j.ir;

import java.util.List;

/**
 * Dimension numbers of {@code stablehlo.gather} (see the StableHLO spec for their meaning).
 *
 * <pre>{@code
 * // rows = table[ids]: table [V,D], ids [N,1] -> [N,D]
 * new GatherDims(List.of(1), List.of(0), List.of(), List.of(), List.of(0), 1);
 * }</pre>
 */
public record GatherDims(List<Integer> offsetDims, List<Integer> collapsedSliceDims,
    List<Integer> operandBatchingDims, List<Integer> startIndicesBatchingDims, List<Integer> startIndexMap,
    int indexVectorDim) {
  public GatherDims {
    offsetDims = List.copyOf(offsetDims);
    collapsedSliceDims = List.copyOf(collapsedSliceDims);
    operandBatchingDims = List.copyOf(operandBatchingDims);
    startIndicesBatchingDims = List.copyOf(startIndicesBatchingDims);
    startIndexMap = List.copyOf(startIndexMap);
  }
}
