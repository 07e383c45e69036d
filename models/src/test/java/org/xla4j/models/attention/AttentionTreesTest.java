package org.xla4j.models.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.nn.BptBlock;
import org.xla4j.tree.Tree;
import org.xla4j.tree.TreeException;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/** KVMemory, Memory, AttentionInputs and BptBlock weights as named trees: paths, round trips, errors. */
class AttentionTreesTest {
  @Test
  void memoryIsNamedLikeGrok1sAndRoundTrips() {
    Graph g = new Graph("mem");
    Tree<TensorType> types = Memory.types(12, DType.BF16, 2, 64, 8, 128, true);
    assertEquals(36, types.size());
    assertEquals(List.of("layers/0/k", "layers/0/step", "layers/0/v", "layers/1/k"), types.paths().subList(0, 4));
    assertEquals("layers/10/k", types.paths().get(6), "JAX's string order of dict keys: 10 before 2");
    assertEquals(TensorType.of(DType.I32, 2), types.get("layers/11/step"));
    Memory m = Memory.of(g.parameters(types));
    assertEquals(12, m.layers().size());
    assertEquals(TensorType.of(DType.BF16, 2, 64, 8, 128), m.layer(11).k().type());
    assertEquals(types.paths(), m.tree().paths());
    assertEquals(m, Memory.of(m.tree()));
    assertSame(m.layer(3).v(), m.tree().get("layers/3/v"));
  }

  @Test
  void memoryErrorsNameThePath() {
    Graph g = new Graph("mem");
    Tree<Tensor> two = g.parameters(Memory.types(2, DType.F32, 1, 8, 1, 4, false));
    String missing = assertThrows(TreeException.class,
        () -> Memory.of(two.filter(p -> !p.startsWith("layers/0/")))).getMessage();
    assertTrue(missing.contains("'layers/0' is missing"), missing);
    String noStep = assertThrows(TreeException.class, () -> Memory.of(two.filter(p -> !p.equals("layers/1/step"))))
        .getMessage();
    assertTrue(noStep.contains("at 'layers/1'") && noStep.contains("'step'"), noStep);
    String other = assertThrows(TreeException.class, () -> Memory.of(two.prefixed("model"))).getMessage();
    assertTrue(other.contains("under 'layers/'"), other);
  }

  @Test
  void attentionInputsRoundTripByPathAndRefuseUnknownPaths() {
    Graph g = new Graph("in");
    Tree<Tensor> p = g.parameters(Tree.of(Map.of(
        "mask", TensorType.of(DType.PRED, 2, 16),
        "bias", TensorType.of(DType.F32, 1, 4, 1, 16),
        "segment_ids/q", TensorType.of(DType.I32, 2, 16),
        "memory/k", TensorType.of(DType.F32, 2, 16, 2, 8),
        "memory/v", TensorType.of(DType.F32, 2, 16, 2, 8),
        "memory/step", TensorType.scalar(DType.I32))));
    AttentionInputs in = AttentionInputs.of(p);
    assertSame(p.get("mask"), in.mask());
    assertSame(p.get("segment_ids/q"), in.qSegmentIds());
    assertSame(p.get("memory/step"), in.memory().step());
    assertEquals(null, in.kvSegmentIds());
    assertEquals(p, in.tree());
    assertEquals(AttentionInputs.none(), AttentionInputs.of(Tree.empty()));
    String e = assertThrows(TreeException.class, () -> AttentionInputs.of(p.with("masks", p.get("mask")))).getMessage();
    assertTrue(e.contains("unknown path 'masks'") && e.contains("segment_ids/q"), e);
    String half = assertThrows(TreeException.class,
        () -> AttentionInputs.of(p.filter(x -> !x.equals("memory/v")))).getMessage();
    assertTrue(half.contains("'v'"), half);
  }

  @Test
  void bptWeightsAreNamedAndCheckedByPath() {
    BptBlock.Config c = new BptBlock.Config(64, 4, 16, 128, 1e-5, true, 8, 8, true, 10000, true);
    Tree<TensorType> types = BptBlock.Weights.types(c, DType.F32);
    assertEquals(BptBlock.Weights.PATHS, types.paths());
    assertEquals(TensorType.of(DType.F32, 64, 128), types.get("mlp/fc_in/w"));
    assertEquals(TensorType.of(DType.F32, 128), types.get("mlp/fc_in/b"));
    Graph g = new Graph("bpt");
    Tree<Tensor> p = g.parameters(types);
    BptBlock.Weights w = new BptBlock.Weights(p);
    assertSame(p.get("attn/o/w"), w.wo());
    assertSame(p.get("ln_2/scale"), w.ln2Scale());
    String missing = assertThrows(TreeException.class,
        () -> new BptBlock.Weights(p.filter(x -> !x.equals("attn/q/w")))).getMessage();
    assertTrue(missing.contains("'attn/q/w'"), missing);
    // a weight of the wrong shape is named by its path
    Tree<Tensor> wrong = p.with("mlp/fc_out/b", g.parameter(DType.F32, 65));
    Tensor x = g.parameter(DType.F32, 1, 16, 64);
    String shape = assertThrows(RuntimeException.class, () -> BptBlock.forward(c, new BptBlock.Weights(wrong), x, true))
        .getMessage();
    assertTrue(shape.contains("'mlp/fc_out/b'") && shape.contains("[64]"), shape);
  }

  @Test
  void cudnnTakesAFloatAdditiveMaskAsItsBias() {
    Graph g = new Graph("cudnn_mask");
    Tensor q = g.parameter(DType.BF16, 2, 128, 8, 64);
    Tensor add = g.parameter(DType.BF16, 2, 128);
    Tensor keep = g.parameter(DType.PRED, 2, 128);
    String e = assertThrows(RuntimeException.class, () -> Attention.apply(
        AttentionOptions.builder().mechanism(Mechanism.CUDNN).build(), q, q, q, AttentionInputs.none().withMask(keep)))
        .getMessage();
    assertTrue(e.contains("additive float mask"), e);
    Tensor out = Attention.apply(AttentionOptions.builder().mechanism(Mechanism.CUDNN).build(), q, q, q,
        AttentionInputs.none().withMask(add));
    String text = StableHloPrinter.print(g.build(out), EmitOptions.unsharded());
    assertTrue(text.contains("__cudnn$fmhaScaleBiasSoftmax"), text);
  }
}
