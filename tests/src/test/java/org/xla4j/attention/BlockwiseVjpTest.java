package org.xla4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * BLOCKWISE's own blockwise backward (no bias, mask or segment ids: the custom VJP over block offsets)
 * gives VANILLA's gradients, which come from differentiating VANILLA op by op: dq, dk, dv of
 * {@code sum(out · ct)} for a random ct. Causal and not, GQA, query and key lengths that the block does not
 * divide, Sq ≠ Sk both ways, soft-cap, a custom scale and an output multiplier. Tolerance on each element:
 * f64 1e-10 and f32 2e-5, times max(1, |VANILLA's value|). The programs have no S × S tensor and no loop,
 * and causal attention computes only the n(n+1)/2 block pairs on or below the diagonal.
 */
class BlockwiseVjpTest {
  private static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  /** One gradient case: shapes, options, dtype. */
  record Case(String name, DType dt, int b, int sq, int sk, int h, int hkv, int d, AttentionOptions.Builder o) {}

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
  void causalSkipsBlocksAboveTheDiagonal() {
    int s = 64;
    int c = 8; // n = 8 blocks: causal 36 block pairs of 64
    String causal = gradientProgram(DType.F32, 1, s, s, 2, 2, 16, opts(true, c).mechanism(Mechanism.BLOCKWISE).build());
    String full = gradientProgram(DType.F32, 1, s, s, 2, 2, 16, opts(false, c).mechanism(Mechanism.BLOCKWISE).build());
    for (String text : List.of(causal, full)) {
      assertFalse(text.contains("stablehlo.while"), "the blockwise VJP is unrolled, no loop");
      assertFalse(text.contains("x64x64x"), "no S x S tensor");
    }
    // each step's logits and dP blocks are [B, Hkv, m, G, c, c] (paired) or [B, Hkv, n, G, c, c]; count block pairs
    long causalPairs = blockPairs(causal, c);
    long fullPairs = blockPairs(full, c);
    assertEquals(2 * 3 * 36, causalPairs, "causal: 36 block pairs each for the forward logits, backward logits and dP");
    assertEquals(2 * 3 * 64, fullPairs, "non-causal: all 64 block pairs, three times");
  }

  /** Sum over dot_general results shaped [.., m, G, c, c] of m·G·B·Hkv / (B·Hkv·G): block pairs per head. */
  private static long blockPairs(String text, int c) {
    Pattern dot = Pattern.compile("stablehlo\\.dot_general.*-> tensor<1x2x(\\d+)x1x" + c + "x" + c + "x");
    long pairs = 0;
    for (String line : text.split("\n")) {
      Matcher m = dot.matcher(line);
      if (m.find()) pairs += 2 * Long.parseLong(m.group(1));
    }
    return pairs;
  }

  private static String gradientProgram(DType dt, int b, int sq, int sk, int h, int hkv, int d, AttentionOptions o) {
    Graph g = new Graph("bw_vjp_" + o.mechanism());
    Tree<Tensor> p = Tree.of(Map.of("q", g.parameter(dt, b, sq, h, d), "k", g.parameter(dt, b, sk, hkv, d),
        "v", g.parameter(dt, b, sk, hkv, d)));
    Tensor ct = g.parameter(dt, b, sq, h, d);
    Tree<Tensor> gr = Autodiff.grad(t -> Attention.apply(o, t.get("q"), t.get("k"), t.get("v")).mul(ct).sum())
        .apply(p);
    return StableHloPrinter.print(g.build(gr.get("q"), gr.get("k"), gr.get("v")), EmitOptions.unsharded());
  }

  private static void check(Case c) {
    Random r = new Random(c.name().hashCode());
    List<HostTensor> args = new ArrayList<>();
    args.add(AttentionHarness.random(r, c.dt(), c.b(), c.sq(), c.h(), c.d()));
    args.add(AttentionHarness.random(r, c.dt(), c.b(), c.sk(), c.hkv(), c.d()));
    args.add(AttentionHarness.random(r, c.dt(), c.b(), c.sk(), c.hkv(), c.d()));
    args.add(AttentionHarness.random(r, c.dt(), c.b(), c.sq(), c.h(), c.d())); // cotangent
    List<double[]> grads = new ArrayList<>();
    for (Mechanism m : List.of(Mechanism.VANILLA, Mechanism.BLOCKWISE)) {
      String text = gradientProgram(c.dt(), c.b(), c.sq(), c.sk(), c.h(), c.hkv(), c.d(), c.o().mechanism(m).build());
      if (m == Mechanism.BLOCKWISE) {
        assertFalse(text.contains("stablehlo.while"), c.name() + ": BLOCKWISE took its blockwise VJP (no scan)");
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
