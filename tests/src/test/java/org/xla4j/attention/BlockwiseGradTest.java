package org.xla4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * BLOCKWISE's gradient (its custom VJP; with this (B, S) padding mask, the blockwise backward of
 * BlockwiseVjp) equals VANILLA's, which differentiates op by op, with causal + padding mask + soft cap + GQA
 * and chunks that do not divide S (f32, 2e-5 relative to max(1, |x|)); the differentiated program has no
 * S x S tensor.
 */
class BlockwiseGradTest {
  @Test
  void blockwiseGradientEqualsVanillaWithoutSBySLogits() {
    int b = 2, s = 40, h = 4, hkv = 2, d = 8;
    Random r = new Random(12);
    List<HostTensor> args = new ArrayList<>();
    args.add(AttentionHarness.random(r, DType.F32, b, s, h, d));
    args.add(AttentionHarness.random(r, DType.F32, b, s, hkv, d));
    args.add(AttentionHarness.random(r, DType.F32, b, s, hkv, d));
    args.add(AttentionHarness.random(r, DType.F32, b, s, h, d)); // cotangent
    int[] keep = new int[b * s];
    for (int i = 0; i < keep.length; i++) keep[i] = (i % s) < s - 3 * (i / s) - 2 ? 1 : 0; // right padding
    args.add(HostTensor.ofInts(keep, b, s));
    List<float[]> grads = new ArrayList<>();
    for (Mechanism m : List.of(Mechanism.VANILLA, Mechanism.BLOCKWISE)) {
      Graph g = new Graph("grad_" + m);
      Tree<Tensor> p = Tree.of(Map.of("q", g.parameter(DType.F32, b, s, h, d), "k", g.parameter(DType.F32, b, s, hkv, d),
          "v", g.parameter(DType.F32, b, s, hkv, d)));
      Tensor ct = g.parameter(DType.F32, b, s, h, d);
      Tensor mask = g.parameter(DType.I32, b, s).ne(0L);
      AttentionOptions o = AttentionOptions.builder().mechanism(m).causal(true).chunks(16, 12).logitSoftCap(5).build();
      Tree<Tensor> gr = Autodiff.grad(t -> Attention.apply(o, t.get("q"), t.get("k"), t.get("v"),
          AttentionInputs.none().withMask(mask)).mul(ct).sum()).apply(p);
      String text = StableHloPrinter.print(g.build(gr.get("q"), gr.get("k"), gr.get("v")), EmitOptions.unsharded());
      if (m == Mechanism.BLOCKWISE) {
        assertTrue(!text.contains("x40x40x") && !text.contains("x40x40xf32"), "BLOCKWISE's gradient has S x S logits");
      }
      try (Backend cpu = Backends.open("cpu"); Executable exe = cpu.compile(text, CompileOptions.defaults())) {
        for (HostTensor t : exe.execute(args)) grads.add(t.toFloatArray());
      }
    }
    for (int i = 0; i < 3; i++) {
      float[] want = grads.get(i);
      float[] got = grads.get(i + 3);
      assertEquals(want.length, got.length);
      for (int j = 0; j < want.length; j++) {
        assertTrue(Math.abs(want[j] - got[j]) <= 2e-5 * Math.max(1, Math.abs(want[j])),
            "d" + "qkv".charAt(i) + "[" + j + "]: VANILLA " + want[j] + ", BLOCKWISE " + got[j]);
      }
    }
  }
}
