package org.xla4j.models.moe;

import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * DROPLESS's tiled layout, shared by its forward ({@link DroplessMoe}) and backward ({@link MoeGrad}) so that both
 * put each row in the same place: each expert's rows (sorted by expert) padded to whole tiles of {@code m} rows,
 * laid out expert after expert in a buffer of {@code total = roundUp(N·K + E·(m-1), m)} rows, so that every tile
 * belongs to one expert. Padding rows stay zero. Example:
 *
 * <pre>{@code
 * TiledLayout l = TiledLayout.of(g, options.tileSize(), sortedIds, counts, experts);
 * Tensor buf = l.place(sortedRows);         // [total, D]
 * Tensor back = tileResults.take(l.dest(), 0); // [N·K, D], sorted order again
 * }</pre>
 *
 * @param m rows per tile
 * @param total rows of the buffer, a multiple of {@code m}
 * @param tiles {@code total / m}
 * @param dest {@code [N·K]} I32: the buffer row of each sorted row
 * @param tileExpert {@code [tiles]} I32: the expert of each tile (spare tiles at the end get the last expert)
 */
record TiledLayout(long m, long total, long tiles, Tensor dest, Tensor tileExpert) {
  /**
   * The layout of rows sorted by expert.
   *
   * @param tileSize the option's tile size (0: picked from the rows per expert, see {@link DroplessMoe#tile})
   * @param sortedIds {@code [N·K]} I32: the expert of each sorted row
   * @param counts {@code [E]} I32: rows per expert
   */
  static TiledLayout of(Graph g, int tileSize, Tensor sortedIds, Tensor counts, long experts) {
    long copies = sortedIds.dim(0);
    long m = DroplessMoe.tile(tileSize, copies, experts);
    long total = (copies + experts * (m - 1) + m - 1) / m * m;
    Tensor padded = counts.add(m - 1).intDiv(m).mul(m);                  // [E] rows per expert, whole tiles
    Tensor padStart = padded.cumsum(0).sub(padded);
    Tensor groupStart = counts.cumsum(0).sub(counts);
    Tensor j = g.iota(TensorType.of(DType.I32, copies), 0);
    Tensor dest = padStart.take(sortedIds, 0).add(j.sub(groupStart.take(sortedIds, 0)));
    // tile t belongs to the number of experts whose padded rows end at or before t·m (clamped: spare tiles)
    Tensor padEnd = padStart.add(padded).reshape(1, experts);
    Tensor tileStart = g.iota(TensorType.of(DType.I32, total / m, 1), 0).mul(m);
    Tensor tileExpert = padEnd.le(tileStart).astype(DType.I32).sum(1).minimum(experts - 1);
    return new TiledLayout(m, total, total / m, dest, tileExpert);
  }

  /** Sorted rows {@code [N·K, D]} at their places in a zero buffer {@code [total, D]} of their dtype. */
  Tensor place(Tensor sortedRows) {
    return sortedRows.graph().zeros(sortedRows.dtype(), total, sortedRows.dim(1)).scatterAdd(dest, sortedRows);
  }
}
