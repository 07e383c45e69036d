package org.xla4j.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** HloSharding and Shardy text, checked against what JAX 0.11.2 prints for the same mesh and spec. */
class ShardingTextTest {
  private final Mesh mesh = Mesh.builder("mesh").axis("data", 2).axis("model", 4).build();

  @Test
  void gspmdTilesAndReplication() {
    // jax: NamedSharding(Mesh(devices.reshape(2,4), ('data','model')), P('data', None))
    assertEquals("{devices=[2,1,4]0,1,2,3,4,5,6,7 last_tile_dim_replicate}",
        ShardingText.gspmd(Sharding.named(mesh, PartitionSpec.of("data", null)), 2));
    assertEquals("{devices=[4,1,2]0,4,1,5,2,6,3,7 last_tile_dim_replicate}",
        ShardingText.gspmd(Sharding.named(mesh, PartitionSpec.of("model", null)), 2));
    assertEquals("{devices=[2,4]0,1,2,3,4,5,6,7}",
        ShardingText.gspmd(Sharding.named(mesh, PartitionSpec.of("data", "model")), 2));
    assertEquals("{devices=[4,2]0,4,1,5,2,6,3,7}",
        ShardingText.gspmd(Sharding.named(mesh, PartitionSpec.of("model", "data")), 2));
    assertEquals("{devices=[8,1]0,1,2,3,4,5,6,7}",
        ShardingText.gspmd(Sharding.named(mesh, PartitionSpec.of(List.of("data", "model"), null)), 2));
    assertEquals("{replicated}", ShardingText.gspmd(Sharding.named(mesh, PartitionSpec.of(null, null)), 2));
    assertEquals("{replicated}", ShardingText.gspmd(Sharding.replicated(), 3));
  }

  @Test
  void gspmdFollowsNonIotaDeviceOrder() {
    Mesh m = Mesh.builder("m").axis("x", 2).devices(1, 0).build();
    assertEquals("{devices=[2]1,0}", ShardingText.gspmd(Sharding.named(m, PartitionSpec.of("x")), 1));
  }

  @Test
  void shardyText() {
    assertEquals("<[\"data\"=2, \"model\"=4]>", ShardingText.shardyMesh(mesh));
    assertEquals("#sdy.sharding<@mesh, [{\"data\"}, {}]>",
        ShardingText.shardy(Sharding.named(mesh, PartitionSpec.of("data", null)), 2, "mesh"));
    assertEquals("#sdy.sharding<@mesh, [{\"data\", \"model\"}, {}]>",
        ShardingText.shardy(Sharding.named(mesh, PartitionSpec.of(List.of("data", "model"), null)), 2, "mesh"));
    assertEquals("<[\"x\"=2], device_ids=[1, 0]>",
        ShardingText.shardyMesh(Mesh.builder("m").axis("x", 2).devices(1, 0).build()));
  }

  @Test
  void badSpecsAreRejectedWithTheAxisName() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Sharding.named(mesh, PartitionSpec.of("batch", null)));
    assertTrue(e.getMessage().contains("'batch'") && e.getMessage().contains("data"), e.getMessage());
    var e2 = assertThrows(IllegalArgumentException.class, () -> PartitionSpec.of("data", "data"));
    assertTrue(e2.getMessage().contains("used twice"), e2.getMessage());
    var e3 = assertThrows(IllegalArgumentException.class, () -> Mesh.builder("m").axis("x", 2).devices(0, 0).build());
    assertTrue(e3.getMessage().contains("distinct"), e3.getMessage());
  }

  @Test
  void gspmdTextParsesBackToTheSameText() {
    for (PartitionSpec spec : List.of(PartitionSpec.of("data", null), PartitionSpec.of("model", null),
        PartitionSpec.of("data", "model"), PartitionSpec.of("model", "data"), PartitionSpec.of(null, "model"),
        PartitionSpec.of(List.of("data", "model"), null), PartitionSpec.of(List.of("model", "data"), null))) {
      String text = ShardingText.gspmd(Sharding.named(mesh, spec), 2);
      Sharding back = ShardingText.parseGspmd(text, 2);
      assertEquals(text, ShardingText.gspmd(back, 2), "round trip of " + spec);
    }
    Mesh m = Mesh.builder("m").axis("x", 2).devices(1, 0).build();
    assertEquals("{devices=[2]1,0}", ShardingText.gspmd(ShardingText.parseGspmd("{devices=[2]1,0}", 1), 1));
    assertEquals(Sharding.replicated(), ShardingText.parseGspmd(" {replicated} ", 3));
    Sharding.Named n = (Sharding.Named) ShardingText.parseGspmd("{devices=[2,1,4]0,1,2,3,4,5,6,7 last_tile_dim_replicate}", 2);
    assertEquals(PartitionSpec.of("d0", null), n.spec());
    assertEquals(4, n.mesh().axisSize("replica"));
    assertTrue(m.size() == 2);
  }

  @Test
  void iotaTileAssignments() {
    // <=[8] is 0..7; <=[4,2]T(1,0) reads a 4x2 iota column-major: 0,2,4,6,1,3,5,7
    assertEquals("{devices=[2,4]0,1,2,3,4,5,6,7}",
        ShardingText.gspmd(ShardingText.parseGspmd("{devices=[2,4]<=[8]}", 2), 2));
    assertEquals("{devices=[8,1]0,2,4,6,1,3,5,7}",
        ShardingText.gspmd(ShardingText.parseGspmd("{devices=[8,1]<=[4,2]T(1,0)}", 2), 2));
  }

  @Test
  void unsupportedOrMalformedShardingTextIsRejected() {
    for (String t : List.of("{maximal device=0}", "{manual}", "{devices=[2,1]0,1 last_tile_dims={manual}}",
        "{devices=[2,1]0}", "{devices=[2]0,1}", "devices=[2]0,1", "{devices=[2,1]0,x}")) {
      var e = assertThrows(IllegalArgumentException.class, () -> ShardingText.parseGspmd(t, 2), t);
      assertTrue(e.getMessage().startsWith("mhlo.sharding \"" + t + "\": "), e.getMessage());
    }
  }
}
