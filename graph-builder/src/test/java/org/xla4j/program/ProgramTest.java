package org.xla4j.program;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionSpec;
import org.xla4j.sharding.Sharding;
import org.xla4j.sharding.ShardingFormat;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

class ProgramTest {
  private static final TensorType F32_4x8 = TensorType.of(DType.F32, 4, 8);

  private static Mesh mesh8() {
    Map<String, Integer> axes = new LinkedHashMap<>();
    axes.put("data", 2);
    axes.put("model", 4);
    return Mesh.of("mesh", axes);
  }

  /** x sharded over an 8-device mesh, y = 2x. */
  private static Program sharded8() {
    Graph g = new Graph("sh8");
    Sharding rows = Sharding.named(mesh8(), PartitionSpec.of("data", "model"));
    Tensor x = g.parameter("x", F32_4x8, rows);
    return g.program(List.of(x.mul(2.0)), java.util.Collections.singletonList(rows));
  }

  @Test
  void countsComeFromTheMesh() {
    Program p = sharded8();
    assertEquals(8, p.numPartitions());
    assertEquals(1, p.numReplicas());
    assertEquals(Partitioner.SHARDY, p.partitioner());
    assertTrue(p.text().contains("mhlo.num_partitions = 8 : i32"), p.text());
    assertTrue(p.text().contains("sdy.mesh @mesh"), p.text());
    assertEquals(p.numPartitions(), p.withPartitions(8).numPartitions());
  }

  @Test
  void partitionCountThatDisagreesWithTheMeshIsAnErrorNamingBothNumbers() {
    var e = assertThrows(IllegalArgumentException.class, () -> sharded8().withPartitions(1));
    assertTrue(e.getMessage().contains("1 partition(s) requested"), e.getMessage());
    assertTrue(e.getMessage().contains("of 8 devices"), e.getMessage());
    assertTrue(e.getMessage().contains("'mesh'"), e.getMessage());
    var none = assertThrows(IllegalArgumentException.class, () -> sharded8().withPartitioner(Partitioner.NONE));
    assertTrue(none.getMessage().contains("8"), none.getMessage());
  }

  @Test
  void meshesOfDifferentSizesAreRefused() {
    Graph g = new Graph("two");
    Tensor x = g.parameter("x", F32_4x8, Sharding.named(mesh8(), PartitionSpec.of("data")));
    Mesh m2 = Mesh.of("small", Map.of("d", 2));
    Tensor y = g.parameter("y", F32_4x8, Sharding.named(m2, PartitionSpec.of("d")));
    var e = assertThrows(IllegalArgumentException.class, () -> g.program(x.add(y)));
    assertTrue(e.getMessage().contains("8 devices") && e.getMessage().contains("2 devices"), e.getMessage());
  }

  @Test
  void unshardedProgramIsOneDeviceWithoutPartitioner() {
    Graph g = new Graph("one");
    Tensor x = g.parameter(F32_4x8);
    Program p = g.program(x.exp());
    assertEquals(1, p.numDevices());
    assertEquals(Partitioner.NONE, p.partitioner());
    assertEquals(List.of("arg0"), p.argPaths());
    assertEquals(List.of("out0"), p.resultPaths());
    assertTrue(p.text().contains("mhlo.num_partitions = 1 : i32"), p.text());
  }

  @Test
  void textIsPrintedOncePerFormat() {
    Program p = sharded8();
    assertSame(p.text(), p.text());
    assertSame(p.text(ShardingFormat.GSPMD), p.text(ShardingFormat.GSPMD));
    assertTrue(p.text(ShardingFormat.GSPMD).contains("mhlo.sharding"));
    assertFalse(p.text(ShardingFormat.NONE).contains("sharding"), p.text(ShardingFormat.NONE));
    assertTrue(p.withPartitioner(Partitioner.GSPMD).text().contains("mhlo.sharding"));
  }

  @Test
  void argumentsAndResultsAreNamedByTreePaths() {
    Graph g = new Graph("tree");
    Tree<Tensor> w = g.parameters(Tree.of(Map.of("mlp/w1", TensorType.of(DType.F32, 8, 16),
        "mlp/b1", TensorType.of(DType.F32, 16))));
    Tensor x = g.parameter(TensorType.of(DType.F32, 2, 8));
    Tensor h = x.matmul(w.get("mlp/w1")).add(w.get("mlp/b1"));
    Program p = g.program(Tree.of(Map.of("h", h, "aux/norm", h.mul(h).sum())));
    assertEquals(List.of("mlp/b1", "mlp/w1", "arg2"), p.argPaths());
    assertEquals(List.of("aux/norm", "h"), p.resultPaths());
    assertEquals(TensorType.of(DType.F32, 2, 16), p.resultTypes().get("h"));
    assertEquals(1, p.argIndex("mlp/w1"));
    var e = assertThrows(IllegalArgumentException.class, () -> p.argIndex("mlp/w9"));
    assertTrue(e.getMessage().contains("mlp/w9") && e.getMessage().contains("mlp/w1"), e.getMessage());
  }

  @Test
  void aParameterNameUsedTwiceIsRefused() {
    Graph g = new Graph("dup");
    g.parameter("x", F32_4x8);
    var e = assertThrows(IllegalArgumentException.class, () -> g.parameter("x", F32_4x8));
    assertTrue(e.getMessage().contains("'x'"), e.getMessage());
  }

  /** A decode step: cache and token in, logits and the new cache out; the cache is donated. */
  private static Program decodeStep() {
    Graph g = new Graph("step");
    TensorType cacheT = TensorType.of(DType.BF16, 8, 16);
    Tensor cache = g.parameter("cache", cacheT);
    Tensor scale = g.parameter("scale", TensorType.of(DType.F32, 3));
    Tensor logits = scale.mul(2.0);
    return g.program(Tree.of(Map.of("a_logits", logits, "cache", cache.add(cache))));
  }

  @Test
  void donatedArgumentOfAResultTypeAliasesIt() {
    Program p = decodeStep().withDonated("cache");
    assertEquals(List.of(0), p.donated());
    // results in flatten order: a_logits (f32[3]) then cache (bf16[8,16]): the cache aliases result 1
    String t = p.text();
    assertTrue(t.contains("%arg0: tensor<8x16xbf16> {tf.aliasing_output = 1 : i32}, %arg1: tensor<3xf32>)"), t);
    assertFalse(t.contains("jax.buffer_donor"), t);
  }

  @Test
  void donatedArgumentsPickEachResultOnceInOrderThenBecomePlainDonors() {
    Graph g = new Graph("pairs");
    Tensor a = g.parameter("a", F32_4x8);
    Tensor b = g.parameter("b", F32_4x8);
    Tensor c = g.parameter("c", TensorType.of(DType.I32, 2));
    Program p = g.program(a.add(b)).withDonated(0, 1, 2);
    String t = p.text(ShardingFormat.NONE);
    assertTrue(t.contains("%arg0: tensor<4x8xf32> {tf.aliasing_output = 0 : i32}"), t);
    assertTrue(t.contains("%arg1: tensor<4x8xf32> {jax.buffer_donor = true}"), t);
    assertTrue(t.contains("%arg2: tensor<2xi32> {jax.buffer_donor = true}"), t);
    assertEquals(Map.of(0, 0), p.mainAttributes().aliasedOutputs());
    assertEquals(java.util.Set.of(1, 2), p.mainAttributes().bufferDonors());
    assertTrue(c.type().rank() == 1);
  }

  @Test
  void donationSitsBesideTheShardingAttribute() {
    Program p = sharded8().withDonated("x");
    assertTrue(p.text().contains("{sdy.sharding = #sdy.sharding<@mesh, [{\"data\"}, {\"model\"}]>, "
        + "tf.aliasing_output = 0 : i32}"), p.text());
    var e = assertThrows(IllegalArgumentException.class, () -> p.withDonated(3));
    assertTrue(e.getMessage().contains("3"), e.getMessage());
  }

  @Test
  void shardyReplicatedConstraintWithoutAMeshDeclaresTheMeshItNames() {
    Graph g = new Graph("rep");
    Tensor x = g.parameter(F32_4x8);
    Program p = g.program(x.mul(2.0).shardingConstraint(Sharding.replicated()));
    String t = p.text(ShardingFormat.SHARDY);
    assertTrue(t.contains("sdy.mesh @empty_mesh = <[]>"), t);
    assertTrue(t.contains("sharding = #sdy.sharding<@empty_mesh, [{}, {}]>"), t);
    assertFalse(t.contains("@mesh,"), t);
  }

  @Test
  void locationsOnRequest() {
    Graph g = new Graph("loc");
    Tensor x = g.parameter(F32_4x8);
    Program p = g.program(x.exp());
    assertFalse(p.text().contains("loc("), p.text());
    assertTrue(p.withLocations(true).text().contains("loc("), p.withLocations(true).text());
  }
}
