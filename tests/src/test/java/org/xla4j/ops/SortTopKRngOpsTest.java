package org.xla4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xla4j.ops.OpHarness.f32;
import static org.xla4j.ops.OpHarness.i32;
import static org.xla4j.ops.OpHarness.scalar;
import static org.xla4j.ops.OpHarness.t;
import static org.xla4j.ops.OpHarness.uniform;
import static org.xla4j.types.DType.BF16;
import static org.xla4j.types.DType.F32;
import static org.xla4j.types.DType.I32;
import static org.xla4j.types.DType.U32;
import static org.xla4j.types.DType.U64;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.ir.Block;
import org.xla4j.ir.Comparison;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.Op;
import org.xla4j.ir.RngAlgorithm;
import org.xla4j.ir.Value;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/** sort (stable, multi-operand, descending), top_k, rng_bit_generator. */
class SortTopKRngOpsTest {
  static OpHarness h;

  @BeforeAll
  static void open() { h = OpHarness.cpu(); }

  @AfterAll
  static void close() { h.close(); }

  /** A comparator on the first input only: args are (lhs0, rhs0, lhs1, rhs1, ...). */
  private static Block keyComparator(FunctionBuilder fb, List<DType> inputs, Comparison.Direction dir) {
    List<org.xla4j.types.TensorType> args = inputs.stream().flatMap(d -> java.util.stream.Stream.of(scalar(d), scalar(d)))
        .toList();
    return fb.region(args, true, r -> List.of(fb.emit1(new Op.Compare(dir, Comparison.Type.forDType(inputs.get(0)),
        r.get(0), r.get(1)))));
  }

  @Test
  void sortRowsAscending() {
    float[] x = uniform(new Random(1), 3 * 16, -10, 10);
    HostTensor out = h.run1(List.of(t(F32, 3, 16)), (fb, a) -> List.of(fb.emit1(new Op.Sort(List.of(a.get(0)), 1,
        false, keyComparator(fb, List.of(F32), Comparison.Direction.LT)))), f32(x, 3, 16));
    float[] e = x.clone();
    for (int r = 0; r < 3; r++) Arrays.sort(e, r * 16, r * 16 + 16);
    assertArrayEquals(e, out.toFloatArray());
  }

  @Test
  void sortAlongDim0() {
    int[] x = OpHarness.ints(new Random(2), 10 * 3, -50, 50);
    HostTensor out = h.run1(List.of(t(I32, 10, 3)), (fb, a) -> List.of(fb.emit1(new Op.Sort(List.of(a.get(0)), 0,
        false, keyComparator(fb, List.of(I32), Comparison.Direction.LT)))), i32(x, 10, 3));
    int[] e = new int[30];
    for (int c = 0; c < 3; c++) {
      int col = c;
      int[] column = IntStream.range(0, 10).map(r -> x[r * 3 + col]).sorted().toArray();
      for (int r = 0; r < 10; r++) e[r * 3 + c] = column[r];
    }
    assertArrayEquals(e, out.toIntArray());
  }

  /** Stable sort of (key, payload) by key; the oracle is Java's stable object sort. */
  private static void checkStableKeyPayloadSort(Comparison.Direction dir, long seed) {
    int n = 40;
    float[] keys = new float[n];
    Random rnd = new Random(seed);
    for (int i = 0; i < n; i++) keys[i] = rnd.nextInt(4) - 1.5f; // 4 distinct keys: many ties
    List<HostTensor> out = h.run(List.of(t(F32, 2, n)), (fb, a) -> {
      Value payload = fb.emit1(new Op.Iota(t(I32, 2, n), 1));
      return fb.emit(new Op.Sort(List.of(a.get(0), payload), 1, true, keyComparator(fb, List.of(F32, I32), dir)));
    }, f32(concat(keys, keys), 2, n));
    Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
    Comparator<Integer> byKey = Comparator.comparingDouble(i -> keys[i]);
    Arrays.sort(order, dir == Comparison.Direction.GT ? byKey.reversed() : byKey); // List.sort is stable
    float[] ek = new float[n];
    int[] ep = new int[n];
    for (int i = 0; i < n; i++) {
      ek[i] = keys[order[i]];
      ep[i] = order[i];
    }
    assertArrayEquals(concat(ek, ek), out.get(0).toFloatArray(), dir + " keys");
    assertArrayEquals(IntStream.concat(Arrays.stream(ep), Arrays.stream(ep)).toArray(), out.get(1).toIntArray(),
        dir + " payload: equal keys keep their input order");
  }

  @Test
  void stableSortKeyAndPayloadAscending() { checkStableKeyPayloadSort(Comparison.Direction.LT, 3); }

  @Test
  void stableSortKeyAndPayloadDescending() { checkStableKeyPayloadSort(Comparison.Direction.GT, 4); }

  private static float[] concat(float[] a, float[] b) {
    float[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  // ------------------------------------------------------------------ top_k

  private static void checkTopK(float[] x, int rows, int cols, int k, DType d) {
    List<HostTensor> out = h.run(List.of(t(d, rows, cols)), (fb, a) -> fb.emit(new Op.TopK(a.get(0), k)),
        OpHarness.tensor(d, x, rows, cols));
    float[] ev = new float[rows * k];
    int[] ei = new int[rows * k];
    for (int r = 0; r < rows; r++) {
      int row = r;
      // largest first; among equal values the lower index first
      int[] order = IntStream.range(0, cols).boxed()
          .sorted(Comparator.<Integer>comparingDouble(j -> -x[row * cols + j]).thenComparingInt(j -> j))
          .mapToInt(Integer::intValue).toArray();
      for (int j = 0; j < k; j++) {
        ev[r * k + j] = x[r * cols + order[j]];
        ei[r * k + j] = order[j];
      }
    }
    assertEquals(Shape.of(rows, k), out.get(0).shape());
    assertEquals(I32, out.get(1).dtype());
    assertArrayEquals(ev, out.get(0).toFloatArray(), "top_k values");
    assertArrayEquals(ei, out.get(1).toIntArray(), "top_k indices");
  }

  @Test
  void topKValuesAndIndices() {
    checkTopK(uniform(new Random(5), 3 * 20, -10, 10), 3, 20, 5, F32);
  }

  @Test
  void topKTiesTakeLowerIndexFirst() {
    float[] x = {1, 3, 2, 3, 0, 3, 2, 1, 5, 5, 5, 5, 5, 5, 5, 5};
    checkTopK(x, 2, 8, 4, F32);
  }

  @Test
  void topKBf16() {
    checkTopK(uniform(new Random(6), 2 * 16, -10, 10, BF16), 2, 16, 3, BF16);
  }

  // ------------------------------------------------------------------ rng_bit_generator

  private static HostTensor state(long a, long b) {
    return HostTensor.ofLongs(new long[] {a, b}, 2).astype(U64);
  }

  @Test
  void threeFryIsDeterministicAndAdvancesState() {
    try (OpHarness.Compiled c = h.compile(List.of(t(U64, 2)), (fb, a) ->
        fb.emit(new Op.RngBitGenerator(RngAlgorithm.THREE_FRY, a.get(0), t(U32, 4, 32))))) {
      HostTensor s0 = state(42, 7);
      List<HostTensor> r1 = c.run(s0);
      List<HostTensor> r2 = c.run(s0);
      assertEquals(U64, r1.get(0).dtype());
      assertEquals(U32, r1.get(1).dtype());
      assertEquals(r1.get(0), r2.get(0), "same state -> same new state");
      assertEquals(r1.get(1), r2.get(1), "same state -> same bits");
      assertFalse(r1.get(0).equals(s0), "the new state differs from the old one: " + r1.get(0));

      long[] bits = r1.get(1).toLongArray(); // ui32 read as unsigned
      long[] other = c.run(state(43, 7)).get(1).toLongArray();
      long[] next = c.run(r1.get(0)).get(1).toLongArray();
      assertTrue(differing(bits, other) > 120, "a different state gives different bits");
      assertTrue(differing(bits, next) > 120, "the next state gives different bits");

      // every bit position is set in roughly half of the 128 words (mean 64, sd 5.7)
      for (int bit = 0; bit < 32; bit++) {
        int set = 0;
        for (long w : bits) set += (int) (w >>> bit) & 1;
        assertTrue(set > 32 && set < 96, "bit " + bit + " set in " + set + " of 128 words");
      }
    }
  }

  @Test
  void threeFryU64Output() {
    List<HostTensor> out = h.run(List.of(t(U64, 2)), (fb, a) ->
        fb.emit(new Op.RngBitGenerator(RngAlgorithm.THREE_FRY, a.get(0), t(U64, 16))), state(0, 0));
    long[] bits = out.get(1).toLongArray();
    assertEquals(16, Arrays.stream(bits).distinct().count(), "16 distinct 64-bit words: " + Arrays.toString(bits));
    assertTrue(Arrays.stream(bits).anyMatch(w -> (w >>> 32) != 0), "high halves are filled");
  }

  private static int differing(long[] a, long[] b) {
    int n = 0;
    for (int i = 0; i < a.length; i++) if (a[i] != b[i]) n++;
    return n;
  }
}
