package org.xla4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.xla4j.ops.OpHarness.f32;
import static org.xla4j.ops.OpHarness.i32;
import static org.xla4j.ops.OpHarness.scalar;
import static org.xla4j.ops.OpHarness.t;
import static org.xla4j.ops.OpHarness.toDouble;
import static org.xla4j.ops.OpHarness.uniform;
import static org.xla4j.types.DType.F32;
import static org.xla4j.types.DType.I32;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Block;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.GatherDims;
import org.xla4j.ir.Op;
import org.xla4j.ir.ScatterDims;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/** gather (embedding lookup) and scatter (add with duplicate indices, set) against Java loops. */
class IndexingOpsTest {
  static final int V = 10;
  static final int D = 6;
  static OpHarness h;

  @BeforeAll
  static void open() { h = OpHarness.cpu(); }

  @AfterAll
  static void close() { h.close(); }

  /** rows = table[ids]; ids is [N,1] (explicit index vector) or [N] (index_vector_dim = rank). */
  private static Op.Gather rows(org.xla4j.ir.Value table, org.xla4j.ir.Value ids, int indexVectorDim, int offsetDim) {
    return new Op.Gather(table, ids, new GatherDims(List.of(offsetDim), List.of(0), List.of(), List.of(), List.of(0),
        indexVectorDim), List.of(1L, (long) D), false);
  }

  private static float[] gatherOracle(float[] table, int[] ids) {
    float[] e = new float[ids.length * D];
    for (int n = 0; n < ids.length; n++) {
      int row = Math.clamp(ids[n], 0, V - 1); // StableHLO gather clamps start indices into the operand
      System.arraycopy(table, row * D, e, n * D, D);
    }
    return e;
  }

  @Test
  void gatherEmbeddingRows() {
    float[] table = uniform(new Random(1), V * D, -1, 1);
    int[] ids = {3, 0, 9, 3, 7, 1, 1};
    List<HostTensor> out = h.run(List.of(t(F32, V, D), t(I32, 7, 1), t(I32, 7)), (fb, a) -> List.of(
        fb.emit1(rows(a.get(0), a.get(1), 1, 1)),
        fb.emit1(rows(a.get(0), a.get(2), 1, 1))), f32(table, V, D), i32(ids, 7, 1), i32(ids, 7));
    assertEquals(Shape.of(7, D), out.get(0).shape());
    assertArrayEquals(gatherOracle(table, ids), out.get(0).toFloatArray(), "ids [7,1]");
    assertArrayEquals(gatherOracle(table, ids), out.get(1).toFloatArray(), "ids [7], implicit index vector");
  }

  @Test
  void gatherBatchOfIdsAndOutOfRangeClamps() {
    float[] table = uniform(new Random(2), V * D, -1, 1);
    int[] ids = {2, 12, -3, 9, 0, 5}; // 12 -> 9, -3 -> 0
    HostTensor out = h.run1(List.of(t(F32, V, D), t(I32, 2, 3, 1)), (fb, a) -> List.of(fb.emit1(rows(a.get(0),
        a.get(1), 2, 2))), f32(table, V, D), i32(ids, 2, 3, 1));
    assertEquals(Shape.of(2, 3, D), out.shape());
    assertArrayEquals(gatherOracle(table, ids), out.toFloatArray());
  }

  private static Block addRegion(FunctionBuilder fb, DType d) {
    return fb.region(List.of(scalar(d), scalar(d)), true,
        r -> List.of(fb.emit1(new Op.Binary(BinaryKind.ADD, r.get(0), r.get(1)))));
  }

  private static final ScatterDims ROWS = new ScatterDims(List.of(1), List.of(0), List.of(), List.of(), List.of(0), 1);

  @Test
  void scatterAddAccumulatesDuplicateIndices() {
    Random rnd = new Random(3);
    int n = 12;
    float[] table = uniform(rnd, V * D, -1, 1);
    int[] ids = {4, 1, 4, 4, 0, 9, 1, 7, 4, 2, 10, -1}; // 10 and -1 are out of bounds: skipped
    float[] upd = uniform(rnd, n * D, -1, 1);
    HostTensor out = h.run1(List.of(t(F32, V, D), t(I32, n, 1), t(F32, n, D)), (fb, a) -> List.of(fb.emit1(
        new Op.Scatter(List.of(a.get(0)), a.get(1), List.of(a.get(2)), ROWS, addRegion(fb, F32), false, false))),
        f32(table, V, D), i32(ids, n, 1), f32(upd, n, D));
    double[] e = toDouble(table);
    for (int i = 0; i < n; i++) {
      if (ids[i] < 0 || ids[i] >= V) continue; // StableHLO: a window outside the operand is skipped
      for (int j = 0; j < D; j++) e[ids[i] * D + j] += upd[i * D + j];
    }
    Tolerance.exact(F32).assertClose("scatter add (row 4 gets 4 updates)", e, out.toFloatArray());
  }

  @Test
  void scatterAddI32IsExact() {
    int[] base = new int[V];
    int[] ids = {1, 1, 1, 5, 5, 0};
    int[] upd = {10, 20, 30, -1, -2, 100};
    HostTensor out = h.run1(List.of(t(I32, V), t(I32, 6, 1), t(I32, 6)), (fb, a) -> List.of(fb.emit1(
        new Op.Scatter(List.of(a.get(0)), a.get(1), List.of(a.get(2)),
            new ScatterDims(List.of(), List.of(0), List.of(), List.of(), List.of(0), 1), addRegion(fb, I32), false,
            false))), i32(base, V), i32(ids, 6, 1), i32(upd, 6));
    assertArrayEquals(new int[] {100, 60, 0, 0, 0, -3, 0, 0, 0, 0}, out.toIntArray());
  }

  @Test
  void scatterSetWithUniqueIndices() {
    float[] table = uniform(new Random(4), V * D, -1, 1);
    int[] ids = {8, 2, 5};
    float[] upd = uniform(new Random(5), 3 * D, 5, 6);
    HostTensor out = h.run1(List.of(t(F32, V, D), t(I32, 3, 1), t(F32, 3, D)), (fb, a) -> {
      Block set = fb.region(List.of(scalar(F32), scalar(F32)), true, r -> List.of(r.get(1)));
      return List.of(fb.emit1(new Op.Scatter(List.of(a.get(0)), a.get(1), List.of(a.get(2)), ROWS, set, true, true)));
    }, f32(table, V, D), i32(ids, 3, 1), f32(upd, 3, D));
    float[] e = table.clone();
    for (int i = 0; i < 3; i++) System.arraycopy(upd, i * D, e, ids[i] * D, D);
    assertArrayEquals(e, out.toFloatArray());
  }
}
