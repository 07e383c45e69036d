package org.xla4j.ir;

import java.util.List;

/**
 * Dimension numbers of {@code stablehlo.scatter} (see the StableHLO spec for their meaning).
 *
 * <pre>{@code
 * // table[ids] += rows: table [V,D], ids [N,1], rows [N,D]
 * new ScatterDims(List.of(1), List.of(0), List.of(), List.of(), List.of(0), 1);
 * }</pre>
 */
public record ScatterDims(List<Integer> updateWindowDims, List<Integer> insertedWindowDims,
    List<Integer> inputBatchingDims, List<Integer> scatterIndicesBatchingDims,
    List<Integer> scatterDimsToOperandDims, int indexVectorDim) {
  public ScatterDims {
    updateWindowDims = List.copyOf(updateWindowDims);
    insertedWindowDims = List.copyOf(insertedWindowDims);
    inputBatchingDims = List.copyOf(inputBatchingDims);
    scatterIndicesBatchingDims = List.copyOf(scatterIndicesBatchingDims);
    scatterDimsToOperandDims = List.copyOf(scatterDimsToOperandDims);
  }
}
