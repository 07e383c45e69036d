package org.xla4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionInputs;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * BLOCKWISE's own blockwise backward (the custom VJP over block offsets) gives VANILLA's gradients, which
 * come from differentiating VANILLA op by op: dq, dk, dv of {@code sum(out · ct)} for a random ct. Causal and
 * not, GQA, query and key lengths that the block does not divide, Sq ≠ Sk both ways, soft-cap, a custom
 * scale and an output multiplier, a (B, Sk) padding mask, segment ids and a key-only bias; a mask that varies
 * along the queries takes the scan form (a loop) and gives the same gradients. Tolerance on each element:
 * f64 1e-10 and f32 2e-5, times max(1, |VANILLA's value|). The programs have no S × S tensor and no loop,
 * and causal attention computes only the n(n+1)/2 block pairs on or below the diagonal.
 */
class BlockwiseVjpTest {
  private static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  /** Which mask tensors a case passes (all built from a seeded generator in {@link #check}). */
  enum Extra { PADDING_MASK, SEGMENTS, KEY_BIAS, FULL_MASK }

  /** One gradient case: shapes, options, dtype, mask tensors. */
  record Case(String name, DType dt, int b, int sq, int sk, int h, int hkv, int d, AttentionOptions.Builder o,
      Set<Extra> extras) {
    Case(String name, DType dt, int b, int sq, int sk, int h, int hkv, int d, AttentionOptions.Builder o) {
      this(name, dt, b, sq, sk, h, hkv, d, o, EnumSet.noneOf(Extra.class));
    }
  }

  private static AttentionOptions.Builder opts(boolean causal, int chunk) {
    return AttentionOptions.builder().causal(causal).chunks(chunk, chunk);
  }

  @Test
  void causalGqaPaddedF64() {
    check(new Case("causal gqa padded f64", DType.F64, 2, 40, 40, 4, 2, 8, opts(true, 16)));
  }

  @Test
  void nonCausalCrossAttentionPaddedF64() {
    check(new Case("non-causal Sq 40 Sk 29 f64", DType.F64, 2, 40, 29, 4, 1, 8, opts(false, 12)));
  }

  @Test
  void causalMoreKeysThanQueriesSoftCapMultiplierF32() {
    check(new Case("causal Sq 24 Sk 40 softcap f32", DType.F32, 1, 24, 40, 4, 2, 8,
        opts(true, 8).logitSoftCap(2).attnOutputMultiplier(0.5)));
  }

  @Test
  void causalMoreQueriesThanKeysPaddedScaleF32() {
    check(new Case("causal Sq 40 Sk 21 scale f32", DType.F32, 2, 40, 21, 2, 2, 8, opts(true, 8).softmaxScale(0.7)));
  }

  @Test
  void causalExactBlocksF32AutomaticBlock() {
    // chunk 0: the automatic block is cut to the sequence, one block and one step
    check(new Case("causal auto block f32", DType.F32, 1, 64, 64, 4, 4, 16, opts(true, 0)));
  }

  @Test
  void causalStepBudgetCutsRunsF64() {
    // B2 H4 block 8 in f64: one pair is 2*4*8*8*8 = 4 KiB; a 12 KiB budget allows 3 pairs per step, so the
    // 5-block diagonal and the longer offsets are cut into pieces and the remainders paired
    check(new Case("causal step budget f64", DType.F64, 2, 40, 40, 4, 2, 8, opts(true, 8).blockwiseStepBytes(12 << 10),
        EnumSet.of(Extra.PADDING_MASK, Extra.KEY_BIAS)));
  }

  @Test
  void causalOnePairPerStepMoreQueriesThanKeysF32() {
    check(new Case("causal one pair per step f32", DType.F32, 1, 40, 21, 2, 2, 8, opts(true, 8).blockwiseStepBytes(1)));
  }

  @Test
  void stepBudgetBoundsEveryStep() {
    int s = 64;
    int c = 8; // n = 8 blocks, 36 causal pairs; one pair's f32 scores: 1*2*8*8*4 = 512 bytes
    String text = gradientProgram(new Case("b", DType.F32, 1, s, s, 2, 2, 16, opts(true, c).blockwiseStepBytes(3 * 512)),
        Mechanism.BLOCKWISE);
    List<Long> steps = blockCounts(text, c);
    assertEquals(3 * 36, steps.stream().mapToLong(Long::longValue).sum(), "still every causal pair, three times");
    assertTrue(steps.stream().allMatch(m -> m <= 3), "no step above 3 pairs: " + steps);
    // diagonal 8 -> 3+3+2; offsets 1..7 (7..1 pairs) -> full pieces of 3 and the remainders paired up
    assertTrue(steps.size() / 3 <= 36 / 3 + 3, "the pieces are packed, not one step per pair: " + steps.size() / 3);
  }

  @Test
  void causalPaddingMaskSegmentsKeyBiasGqaF64() {
    check(new Case("causal masks f64", DType.F64, 2, 40, 40, 4, 2, 8, opts(true, 16),
        EnumSet.of(Extra.PADDING_MASK, Extra.SEGMENTS, Extra.KEY_BIAS)));
  }

  @Test
  void nonCausalSegmentsAndPaddingMaskF32() {
    check(new Case("non-causal masks f32", DType.F32, 2, 24, 30, 2, 1, 8, opts(false, 8),
        EnumSet.of(Extra.PADDING_MASK, Extra.SEGMENTS)));
  }

  @Test
  void maskAlongQueriesTakesTheScanFormF32() {
    check(new Case("full mask f32 (scan form)", DType.F32, 2, 24, 24, 4, 2, 8, opts(true, 8),
        EnumSet.of(Extra.FULL_MASK)));
  }

  @Test
  void causalSkipsBlocksAboveTheDiagonal() {
    int s = 64;
    int c = 8; // n = 8 blocks: causal 36 block pairs of 64
    String causal = gradientProgram(new Case("c", DType.F32, 1, s, s, 2, 2, 16, opts(true, c)), Mechanism.BLOCKWISE);
    String full = gradientProgram(new Case("f", DType.F32, 1, s, s, 2, 2, 16, opts(false, c)), Mechanism.BLOCKWISE);
    for (String text : List.of(causal, full)) {
      assertFalse(text.contains("stablehlo.while"), "the blockwise VJP is unrolled, no loop");
      assertFalse(text.contains("x64x64x"), "no S x S tensor");
    }
    // each step's logits and dP blocks are [B, Hkv, m, G, c, c] (paired) or [B, Hkv, n, G, c, c]; count block pairs
    List<Long> causalSteps = blockCounts(causal, c);
    List<Long> fullSteps = blockCounts(full, c);
    long causalPairs = causalSteps.stream().mapToLong(Long::longValue).sum();
    long fullPairs = fullSteps.stream().mapToLong(Long::longValue).sum();
    assertEquals(3 * 36, causalPairs, "causal: 36 block pairs each for the forward logits, backward logits and dP");
    assertEquals(3 * 64, fullPairs, "non-causal: all 64 block pairs, three times");
    // the diagonal, offsets (1, 7), (2, 6), (3, 5) of 8 pairs each, then offset 4 alone: two shapes, 5 steps
    assertEquals(Set.of(8L, 4L), Set.copyOf(causalSteps), "causal steps combine offsets d and n - d");
    assertEquals(3 * 5, causalSteps.size(), "causal: 5 steps of three products");
  }

  /** The block count m of each dot_general whose result is a step's [B, Hkv, m, G, c, c] block of logits or dP. */
  private static List<Long> blockCounts(String text, int c) {
    Pattern dot = Pattern.compile("stablehlo\\.dot_general.*-> tensor<1x2x(\\d+)x1x" + c + "x" + c + "x");
    List<Long> counts = new ArrayList<>();
    for (String line : text.split("\n")) {
      Matcher m = dot.matcher(line);
      if (m.find()) counts.add(Long.parseLong(m.group(1)));
    }
    return counts;
  }

  /** dq, dk, dv of sum(out · ct); parameters q, k, v, ct, then the case's mask tensors in {@link Extra} order. */
  private static String gradientProgram(Case c, Mechanism m) {
    DType dt = c.dt();
    AttentionOptions o = c.o().mechanism(m).build();
    Graph g = new Graph("bw_vjp_" + m);
    Tree<Tensor> p = Tree.of(Map.of("q", g.parameter(dt, c.b(), c.sq(), c.h(), c.d()),
        "k", g.parameter(dt, c.b(), c.sk(), c.hkv(), c.d()), "v", g.parameter(dt, c.b(), c.sk(), c.hkv(), c.d())));
    Tensor ct = g.parameter(dt, c.b(), c.sq(), c.h(), c.d());
    AttentionInputs in = AttentionInputs.none();
    if (c.extras().contains(Extra.PADDING_MASK)) in = in.withMask(g.parameter(DType.I32, c.b(), c.sk()));
    if (c.extras().contains(Extra.SEGMENTS)) {
      in = in.withSegmentIds(g.parameter(DType.I32, c.b(), c.sq()), g.parameter(DType.I32, c.b(), c.sk()));
    }
    if (c.extras().contains(Extra.KEY_BIAS)) in = in.withBias(g.parameter(dt, c.b(), 1, 1, c.sk()));
    if (c.extras().contains(Extra.FULL_MASK)) in = in.withMask(g.parameter(DType.I32, c.b(), 1, c.sq(), c.sk()).ne(0L));
    AttentionInputs inputs = in;
    Tree<Tensor> gr = Autodiff.grad(t -> Attention.apply(o, t.get("q"), t.get("k"), t.get("v"), inputs).mul(ct).sum())
        .apply(p);
    return StableHloPrinter.print(g.build(gr.get("q"), gr.get("k"), gr.get("v")), EmitOptions.unsharded());
  }

  /** Segment ids per row: a new segment every {@code len} positions, shifted by the row. */
  private static int[] segments(int b, int s, int len) {
    int[] ids = new int[b * s];
    for (int i = 0; i < ids.length; i++) ids[i] = (i % s + 3 * (i / s)) / len;
    return ids;
  }

  private static void check(Case c) {
    Random r = new Random(c.name().hashCode());
    List<HostTensor> args = new ArrayList<>();
    args.add(AttentionHarness.random(r, c.dt(), c.b(), c.sq(), c.h(), c.d()));
    args.add(AttentionHarness.random(r, c.dt(), c.b(), c.sk(), c.hkv(), c.d()));
    args.add(AttentionHarness.random(r, c.dt(), c.b(), c.sk(), c.hkv(), c.d()));
    args.add(AttentionHarness.random(r, c.dt(), c.b(), c.sq(), c.h(), c.d())); // cotangent
    if (c.extras().contains(Extra.PADDING_MASK)) {
      // right padding of a different length per row (row 0 keeps all keys)
      int[] keep = new int[c.b() * c.sk()];
      for (int i = 0; i < keep.length; i++) keep[i] = i % c.sk() < c.sk() - 5 * (i / c.sk()) ? 1 : 0;
      args.add(HostTensor.ofInts(keep, c.b(), c.sk()));
    }
    if (c.extras().contains(Extra.SEGMENTS)) {
      // packed sequences: segment boundaries that do not fall on block edges
      args.add(HostTensor.ofInts(segments(c.b(), c.sq(), 7), c.b(), c.sq()));
      args.add(HostTensor.ofInts(segments(c.b(), c.sk(), 7), c.b(), c.sk()));
    }
    if (c.extras().contains(Extra.KEY_BIAS)) args.add(AttentionHarness.random(r, c.dt(), c.b(), 1, 1, c.sk()));
    if (c.extras().contains(Extra.FULL_MASK)) {
      int[] keep = new int[c.b() * c.sq() * c.sk()];
      for (int i = 0; i < keep.length; i++) keep[i] = r.nextInt(4) == 0 ? 0 : 1;
      args.add(HostTensor.ofInts(keep, c.b(), 1, c.sq(), c.sk()));
    }
    List<double[]> grads = new ArrayList<>();
    for (Mechanism m : List.of(Mechanism.VANILLA, Mechanism.BLOCKWISE)) {
      String text = gradientProgram(c, m);
      if (m == Mechanism.BLOCKWISE) {
        boolean scanForm = c.extras().contains(Extra.FULL_MASK);
        assertEquals(scanForm, text.contains("stablehlo.while"),
            c.name() + ": BLOCKWISE took " + (scanForm ? "the scan form (a loop)" : "its blockwise VJP (no loop)"));
      }
      try (Executable exe = cpu.compile(text, CompileOptions.defaults())) {
        for (HostTensor t : exe.execute(args)) grads.add(t.toDoubleArray());
      }
    }
    double tol = c.dt() == DType.F64 ? 1e-10 : 2e-5;
    for (int i = 0; i < 3; i++) {
      double[] want = grads.get(i);
      double[] got = grads.get(i + 3);
      assertEquals(want.length, got.length);
      double scale = 0;
      for (double w : want) scale = Math.max(scale, Math.abs(w));
      assertTrue(scale > 1e-3, c.name() + ": d" + "qkv".charAt(i) + " is not trivially zero");
      for (int j = 0; j < want.length; j++) {
        assertTrue(Math.abs(want[j] - got[j]) <= tol * Math.max(1, Math.abs(want[j])),
            c.name() + ": d" + "qkv".charAt(i) + "[" + j + "]: VANILLA " + want[j] + ", BLOCKWISE " + got[j]);
      }
    }
  }
}
