package org.xla4j.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * BLOCKWISE attention's own backward (its custom VJP over block offsets) against central finite
 * differences of its forward, every element of q, k and v, f64 on the CPU (h = 1e-6,
 * |ad - fd| <= 1e-6 * max(1, |fd|)): causal with GQA and padded blocks, and non-causal with Sq ≠ Sk. The
 * finite differences use BLOCKWISE's undifferentiated forward (its while loops), not the VJP's forward.
 */
class BlockwiseAttentionGradCheckTest {
  private static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  private static void check(String name, int sq, int sk, int h, int hkv, int d, AttentionOptions o) {
    Tree<TensorType> types = Tree.of(Map.of("q", TensorType.of(DType.F64, 1, sq, h, d),
        "k", TensorType.of(DType.F64, 1, sk, hkv, d), "v", TensorType.of(DType.F64, 1, sk, hkv, d)));
    Random rnd = new Random(name.hashCode());
    Tree<double[]> data = types.map(t -> {
      double[] a = new double[(int) t.numElements()];
      for (int i = 0; i < a.length; i++) a[i] = rnd.nextGaussian();
      return a;
    });
    List<GradCheck.Point> points = GradCheck.check(cpu, name, types, data,
        p -> Attention.apply(o, p.get("q"), p.get("k"), p.get("v")), 1e-6, 1e-6, Integer.MAX_VALUE);
    assertEquals((sq * h + 2 * sk * hkv) * d, points.size(), name + ": every element checked");
  }

  @Test
  void causalGqaPaddedBlocks() {
    check("blockwise vjp causal", 6, 6, 2, 1, 3,
        AttentionOptions.builder().mechanism(Mechanism.BLOCKWISE).causal(true).chunks(4, 4).build());
  }

  @Test
  void nonCausalCrossLengthsSoftCap() {
    check("blockwise vjp cross", 5, 7, 2, 2, 3, AttentionOptions.builder().mechanism(Mechanism.BLOCKWISE)
        .chunks(3, 3).logitSoftCap(1.5).attnOutputMultiplier(2).build());
  }
}
