package org.xla4j.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xla4j.dsl.DslTesting.count;
import static org.xla4j.dsl.DslTesting.text;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionSpec;
import org.xla4j.sharding.Sharding;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/** What the DSL lowers to, asserted on fragments of the printed StableHLO. */
class EmittedTextTest {
  @Test
  void softmaxIsMaxSubtractedExpOverSum() {
    Graph g = new Graph("sm");
    Tensor x = g.parameter(DType.F32, 2, 8);
    String t = text(g, x.softmax(-1));
    assertTrue(t.contains("stablehlo.exponential"), t);
    assertEquals(2, count(t, "\"stablehlo.reduce\""), t);
    assertTrue(t.contains("stablehlo.maximum"), t);
    assertTrue(t.contains("dense<0xFF800000>") || t.contains("-inf") || t.contains("0xFF800000"), t);
    assertTrue(t.contains("stablehlo.subtract"), t);
    assertTrue(t.contains("stablehlo.divide"), t);
    assertTrue(t.contains("dimensions = array<i64: 1>"), t);
    assertFalse(t.contains("stablehlo.convert"), "f32 needs no casts: " + t);
  }

  @Test
  void bf16SoftmaxComputesInF32() {
    Graph g = new Graph("sm");
    Tensor x = g.parameter(DType.BF16, 2, 8);
    Tensor y = x.softmax();
    assertEquals(DType.BF16, y.dtype());
    String t = text(g, y);
    assertTrue(t.contains("(tensor<2x8xbf16>) -> tensor<2x8xf32>"), t);
    assertTrue(t.contains("\"stablehlo.exponential\"(%") && t.contains("(tensor<2x8xf32>) -> tensor<2x8xf32>"), t);
    assertTrue(t.contains("(tensor<2x8xf32>) -> tensor<2x8xbf16>"), t);
  }

  @Test
  void logsumexpGuardsInfiniteMax() {
    Graph g = new Graph("lse");
    Tensor x = g.parameter(DType.F32, 3, 5);
    Tensor r = x.logsumexp(1);
    assertEquals(Shape.of(3), r.shape());
    String t = text(g, r);
    assertTrue(t.contains("stablehlo.is_finite"), t);
    assertTrue(t.contains("stablehlo.select"), t);
    assertTrue(t.contains("stablehlo.log\""), t);
  }

  @Test
  void matmul2dIsPlainDot() {
    Graph g = new Graph("mm");
    String t = text(g, g.parameter(DType.F32, 2, 3).matmul(g.parameter(DType.F32, 3, 4)));
    assertTrue(t.contains("dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], "
        + "rhs_contracting_dimensions = [0]>"), t);
    assertTrue(t.contains("-> tensor<2x4xf32>"), t);
  }

  @Test
  void matmulWithWeightDoesNotBroadcastIt() {
    Graph g = new Graph("mm");
    String t = text(g, g.parameter(DType.BF16, 8, 16, 32).matmul(g.parameter(DType.BF16, 32, 64), DType.F32));
    assertFalse(t.contains("broadcast_in_dim"), t);
    assertTrue(t.contains("lhs_contracting_dimensions = [2], rhs_contracting_dimensions = [0]"), t);
    assertTrue(t.contains("-> tensor<8x16x64xf32>"), t);
  }

  @Test
  void batchedMatmulBroadcastsBatchDims() {
    Graph g = new Graph("mm");
    Tensor r = g.parameter(DType.F32, 4, 1, 2, 3).matmul(g.parameter(DType.F32, 5, 3, 6));
    assertEquals(Shape.of(4, 5, 2, 6), r.shape());
    String t = text(g, r);
    assertTrue(t.contains("lhs_batching_dimensions = [0, 1], rhs_batching_dimensions = [0, 1], "
        + "lhs_contracting_dimensions = [3], rhs_contracting_dimensions = [2]"), t);
  }

  @Test
  void matmulVectorCases() {
    Graph g = new Graph("mm");
    Tensor v = g.parameter(DType.F32, 3);
    Tensor m = g.parameter(DType.F32, 3, 4);
    Tensor b = g.parameter(DType.F32, 7, 3, 4);
    assertEquals(Shape.scalar(), v.matmul(v).shape());
    assertEquals(Shape.of(4), v.matmul(m).shape());
    assertEquals(Shape.of(3), m.matmul(g.parameter(DType.F32, 4)).shape());
    assertEquals(Shape.of(4), m.transpose().matmul(v).shape());
    assertEquals(Shape.of(7, 4), v.matmul(b).shape());
    assertEquals(Shape.of(7, 2, 4), g.parameter(DType.F32, 2, 3).matmul(b).shape());
  }

  @Test
  void argmaxIsOneTwoOperandReduce() {
    Graph g = new Graph("am");
    Tensor r = g.parameter(DType.F32, 4, 10).argmax(-1);
    assertEquals(DType.I32, r.dtype());
    assertEquals(Shape.of(4), r.shape());
    String t = text(g, r);
    assertEquals(1, count(t, "\"stablehlo.reduce\""), t);
    assertTrue(t.contains("stablehlo.iota\"() <{iota_dimension = 1 : i64}> : () -> tensor<4x10xi32>"), t);
    assertTrue(t.contains("(tensor<4x10xf32>, tensor<4x10xi32>, tensor<f32>, tensor<i32>) -> (tensor<4xf32>, tensor<4xi32>)"), t);
  }

  @Test
  void keepDimsReshapes() {
    Graph g = new Graph("k");
    Tensor x = g.parameter(DType.F32, 2, 3, 4);
    assertEquals(Shape.of(2, 1, 4), x.sum(1, true).shape());
    assertEquals(Shape.of(1, 3, 1), x.max(new int[] {0, -1}, true).shape());
    assertEquals(Shape.scalar(), x.mean().shape());
    assertEquals(Shape.of(2, 1, 1), x.argmin(1, true).sum(-1, true).shape());
  }

  @Test
  void lambdaReduceTracesTheBody() {
    Graph g = new Graph("r");
    Tensor x = g.parameter(DType.F32, 2, 3);
    String t = text(g, x.reduce(0.0, new int[] {-1}, (a, b) -> a.add(b.abs())));
    assertTrue(t.contains("stablehlo.abs"), t);
    assertTrue(t.contains("^bb0(%"), t);
    assertTrue(t.contains("\"stablehlo.return\""), t);
  }

  @Test
  void oneHotTakeScatterTopKSort() {
    Graph g = new Graph("ix");
    Tensor ids = g.parameter(DType.I32, 4, 6);
    Tensor table = g.parameter(DType.F32, 100, 16);
    assertEquals(Shape.of(4, 6, 10), ids.oneHot(10, DType.F32).shape());
    Tensor emb = table.take(ids, 0);
    assertEquals(Shape.of(4, 6, 16), emb.shape());
    assertEquals(Shape.of(16, 4, 6), table.transpose().take(ids, 1).shape());
    Tensor upd = table.scatterAdd(g.parameter(DType.I32, 5), g.parameter(DType.F32, 5, 16));
    TopK top = g.parameter(DType.F32, 3, 50).topK(5);
    assertEquals(Shape.of(3, 5), top.values().shape());
    assertEquals(DType.I32, top.indices().dtype());
    Tensor order = g.parameter(DType.F32, 3, 50).argsort(-1, true);
    String t = text(g, emb, upd, top.values(), order);
    assertTrue(t.contains("offset_dims = [2], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 2"), t);
    assertTrue(t.contains("slice_sizes = array<i64: 1, 16>"), t);
    assertTrue(t.contains("update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], "
        + "index_vector_dim = 1"), t);
    assertTrue(t.contains("chlo.top_k"), t);
    assertTrue(t.contains("comparison_direction = #stablehlo<comparison_direction GT>"), t);
    assertTrue(t.contains("is_stable = true"), t);
  }

  @Test
  void cumsumIsLogStepPadAndAdd() {
    Graph g = new Graph("cs");
    Tensor x = g.parameter(DType.F32, 3, 8);
    String t = text(g, x.cumsum(1));
    assertEquals(3, count(t, "\"stablehlo.pad\""), t);
    assertTrue(t.contains("edge_padding_low = array<i64: 0, 4>, edge_padding_high = array<i64: 0, -4>"), t);
    assertEquals(DType.I32, new Graph("c2").parameter(DType.PRED, 5).cumsum(0).dtype());
  }

  @Test
  void rngUsesThreeFryAndMantissaTrick() {
    Graph g = new Graph("rng");
    RngResult r = Rng.uniform(Rng.key(g, 7), DType.F32, 4, 4);
    assertEquals(DType.F32, r.value().dtype());
    assertEquals(Shape.of(4, 4), r.value().shape());
    RngResult h = Rng.uniform(r.state(), DType.BF16, 8);
    RngResult n = Rng.normal(h.state(), DType.F32, 3);
    String t = text(g, r.value(), h.value(), n.value(), n.state());
    assertTrue(t.contains("rng_algorithm = #stablehlo<rng_algorithm THREE_FRY>"), t);
    assertTrue(t.contains("-> (tensor<2xui64>, tensor<4x4xui32>)"), t);
    assertTrue(t.contains("-> (tensor<2xui64>, tensor<8xui16>)"), t);
    assertTrue(t.contains("stablehlo.shift_right_logical"), t);
    assertTrue(t.contains("(tensor<4x4xui32>) -> tensor<4x4xf32>"), "bitcast u32 -> f32: " + t);
    assertTrue(t.contains("(tensor<8xui16>) -> tensor<8xbf16>"), t);
    assertTrue(t.contains("stablehlo.cosine"), t);
  }

  @Test
  void shardingConstraintAndNumPartitions() {
    Mesh mesh = Mesh.of("mesh", new java.util.LinkedHashMap<>(Map.of("data", 2)));
    Graph g = new Graph("sh");
    Sharding rows = Sharding.named(mesh, PartitionSpec.of("data", null));
    Tensor x = g.parameter(org.xla4j.types.TensorType.of(DType.F32, 4, 8), rows);
    Tensor y = x.mul(2.0).shardingConstraint(rows);
    String gspmd = g.program(List.of(y), java.util.Collections.singletonList(rows))
        .withPartitioner(org.xla4j.program.Partitioner.GSPMD).text();
    assertTrue(gspmd.contains("mhlo.num_partitions = 2 : i32"), gspmd);
    assertTrue(gspmd.contains("call_target_name = \"Sharding\""), gspmd);
    assertTrue(gspmd.contains("mhlo.sharding"), gspmd);
  }

  @Test
  void replicatedShardyConstraintNamesADeclaredMesh() {
    // no named sharding anywhere: the constraint's mesh must still be declared before it is used
    Graph g = new Graph("rep");
    Tensor x = g.parameter(DType.F32, 4, 8);
    Tensor y = x.mul(2.0).shardingConstraint(Sharding.replicated());
    String t = StableHloPrinter.print(g.build(y), EmitOptions.shardy());
    assertTrue(t.contains("  sdy.mesh @empty_mesh = <[]>\n"), t);
    assertTrue(t.contains("sharding = #sdy.sharding<@empty_mesh, [{}, {}]>"), t);
    assertTrue(t.indexOf("sdy.mesh @empty_mesh") < t.indexOf("@empty_mesh, ["), t);
    assertFalse(t.contains("@mesh"), t);
    // with a named mesh in the module, that one is used and no empty mesh is declared
    Mesh mesh = Mesh.of("m", new java.util.LinkedHashMap<>(Map.of("data", 2)));
    Graph h = new Graph("rep2");
    Tensor a = h.parameter(org.xla4j.types.TensorType.of(DType.F32, 4, 8), Sharding.named(mesh, PartitionSpec.of("data", null)));
    String u = StableHloPrinter.print(h.build(a.mul(2.0).shardingConstraint(Sharding.replicated())), EmitOptions.shardy());
    assertTrue(u.contains("sharding = #sdy.sharding<@m, [{}, {}]>"), u);
    assertFalse(u.contains("empty_mesh"), u);
  }

  @Test
  void sameGraphTwiceGivesIdenticalText() {
    assertEquals(model(), model());
  }

  private static String model() {
    Graph g = new Graph("det");
    Tensor x = g.parameter(DType.BF16, 2, 5, 16);
    Tensor w = g.parameter(DType.BF16, 16, 48);
    List<Tensor> qkv = x.matmul(w, DType.F32).chunk(3, -1);
    Tensor q = qkv.get(0).reshape(2, 5, 2, 8);
    Tensor k = qkv.get(1).reshape(2, 5, 2, 8);
    Tensor v = qkv.get(2).reshape(2, 5, 2, 8);
    Tensor s = Jnp.einsum("bqhd,bkhd->bhqk", q, k).mul(1 / Math.sqrt(8));
    Tensor mask = g.arange(5, DType.I32).reshape(5, 1).ge(g.arange(5, DType.I32));
    Tensor p = Jnp.where(mask, s, -1e9).softmax(-1);
    Tensor o = Jnp.einsum("bhqk,bkhd->bqhd", p, v).reshape(2, 5, 16).astype(DType.BF16);
    Tensor ids = o.sum(-1).argmax(-1);
    Tensor loop = Lax.foriLoop(0, 3, o, (i, c) -> c.mul(0.5).add(i.astype(DType.BF16)));
    return StableHloPrinter.print(g.build(o, ids, loop), EmitOptions.unsharded().withLocations(true));
  }
}
