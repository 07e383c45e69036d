package org.xla4j.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xla4j.runtime.pjrt.proto.OpShardingProtos.OpSharding;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionSpec;
import org.xla4j.sharding.Sharding;

/**
 * OpSharding protos (built here, then serialized and parsed back as the plugin's bytes would be) map to
 * the Sharding written out by hand: mesh {@code gspmd}, one axis per tile dimension, device ids in the
 * tile assignment's order (iota transposes worked out by hand below).
 */
class OpShardingsTest {
  private static OpSharding wire(OpSharding p) throws Exception {
    return OpSharding.parseFrom(p.toByteArray());
  }

  private static Sharding gspmd(Map<String, Integer> axes, List<Integer> ids, Object... spec) {
    return Sharding.named(new Mesh("gspmd", axes, ids), PartitionSpec.of(spec));
  }

  private static Map<String, Integer> axes(Object... kv) {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (Integer) kv[i + 1]);
    return m;
  }

  @Test
  void replicated() throws Exception {
    OpSharding p = wire(OpSharding.newBuilder().setType(OpSharding.Type.REPLICATED).build());
    assertEquals(Sharding.replicated(), OpShardings.toSharding(p, 2, 4));
  }

  @Test
  void maximalIsReplicatedOnOneDeviceAndUnknownOnMore() throws Exception {
    OpSharding p = wire(OpSharding.newBuilder().setType(OpSharding.Type.MAXIMAL).addTileAssignmentDevices(0).build());
    assertEquals(Sharding.replicated(), OpShardings.toSharding(p, 1, 1));
    assertNull(OpShardings.toSharding(p, 1, 2));
  }

  @Test
  void tiledTwoByOneWithExplicitDevices() throws Exception {
    OpSharding p = wire(OpSharding.newBuilder().setType(OpSharding.Type.OTHER)
        .addAllTileAssignmentDimensions(List.of(2L, 1L)).addAllTileAssignmentDevices(List.of(1L, 0L)).build());
    assertEquals(gspmd(axes("d0", 2, "d1", 1), List.of(1, 0), "d0", null), OpShardings.toSharding(p, 2, 2));
  }

  @Test
  void iotaWithTranspose() throws Exception {
    // devices=[2,2]<=[2,2]T(1,0): iota 0..3 as 2x2 [[0,1],[2,3]], transposed [[0,2],[1,3]] -> 0,2,1,3
    OpSharding p = wire(OpSharding.newBuilder().setType(OpSharding.Type.OTHER)
        .addAllTileAssignmentDimensions(List.of(2L, 2L)).addAllIotaReshapeDims(List.of(2L, 2L))
        .addAllIotaTransposePerm(List.of(1, 0)).build());
    assertEquals(gspmd(axes("d0", 2, "d1", 2), List.of(0, 2, 1, 3), "d0", "d1"), OpShardings.toSharding(p, 2, 4));
  }

  @Test
  void lastTileDimReplicateBothSpellings() throws Exception {
    Sharding want = gspmd(axes("d0", 2, "d1", 1, "replica", 2), List.of(0, 1, 2, 3), "d0", null);
    OpSharding flag = wire(OpSharding.newBuilder().setType(OpSharding.Type.OTHER)
        .addAllTileAssignmentDimensions(List.of(2L, 1L, 2L)).addAllIotaReshapeDims(List.of(4L))
        .setReplicateOnLastTileDim(true).build());
    assertEquals(want, OpShardings.toSharding(flag, 2, 4));
    OpSharding subgroup = wire(flag.toBuilder().setReplicateOnLastTileDim(false)
        .addLastTileDims(OpSharding.Type.REPLICATED).build());
    assertEquals(want, OpShardings.toSharding(subgroup, 2, 4));
  }

  @Test
  void formsWithoutAMeshEquivalentAreUnknown() throws Exception {
    assertNull(OpShardings.toSharding(wire(OpSharding.newBuilder().setType(OpSharding.Type.MANUAL).build()), 1, 2));
    OpSharding manualSubgroup = wire(OpSharding.newBuilder().setType(OpSharding.Type.OTHER)
        .addAllTileAssignmentDimensions(List.of(2L, 2L)).addAllIotaReshapeDims(List.of(4L))
        .addLastTileDims(OpSharding.Type.MANUAL).build());
    assertNull(OpShardings.toSharding(manualSubgroup, 1, 4));
  }

  @Test
  void tileCountsThatDoNotFitTheRankAreRejected() {
    OpSharding p = OpSharding.newBuilder().setType(OpSharding.Type.OTHER)
        .addAllTileAssignmentDimensions(List.of(2L, 1L)).addAllTileAssignmentDevices(List.of(0L, 1L)).build();
    assertThrows(IllegalArgumentException.class, () -> OpShardings.toSharding(p, 3, 2));
  }
}
