package org.xla4j.runtime.pjrt;

import java.util.List;
import java.util.stream.Collectors;
import org.xla4j.runtime.pjrt.proto.OpShardingProtos.OpSharding;
import org.xla4j.sharding.Sharding;
import org.xla4j.sharding.ShardingText;

/**
 * Converts XLA's {@code OpSharding} protos (what PJRT's Shardings extension reports for an executable's
 * outputs) to our {@link Sharding}. The proto is rendered in the GSPMD text form and read back by
 * {@link ShardingText#parseGspmd}, so a proto and the equivalent {@code mhlo.sharding} text give the very
 * same Sharding (mesh {@code gspmd}, axes {@code d0..}, {@code replica} for a replicated last tile dim).
 *
 * <pre>{@code
 * Sharding s = OpShardings.toSharding(proto, 2, 1);   // {devices=[2,1]0,1} -> Named(P('d0', None))
 * }</pre>
 */
final class OpShardings {
  private OpShardings() {}

  /**
   * The Sharding of a result of {@code rank} in a program over {@code numDevices} devices, or null where
   * the proto has no mesh equivalent (maximal on several devices, manual, unreduced, tuples, subgroup
   * types in {@code last_tile_dims}): such a result comes back as per-device shards of unknown layout.
   * {@code maximal} on a one-device program is that device holding the whole value, i.e. replicated.
   *
   * @throws IllegalArgumentException when the proto is malformed (tile counts that do not fit the rank,
   *     device counts that disagree with the tile assignment)
   */
  static Sharding toSharding(OpSharding p, int rank, int numDevices) {
    return switch (p.getType()) {
      case REPLICATED -> Sharding.replicated();
      case MAXIMAL -> numDevices == 1 ? Sharding.replicated() : null;
      case OTHER -> otherSharding(p, rank);
      case TUPLE, MANUAL, UNKNOWN, UNREDUCED, UNRECOGNIZED -> null;
    };
  }

  private static Sharding otherSharding(OpSharding p, int rank) {
    boolean onlyReplicateSubgroup = p.getLastTileDimsCount() == 1
        && p.getLastTileDims(0) == OpSharding.Type.REPLICATED;
    if (p.getLastTileDimsCount() > 0 && !onlyReplicateSubgroup) return null;
    return ShardingText.parseGspmd(gspmdText(p, p.getReplicateOnLastTileDim() || onlyReplicateSubgroup), rank);
  }

  /** The {@code mhlo.sharding} text of an OTHER-type proto, e.g. {@code {devices=[2,2]<=[2,2]T(1,0)}}. */
  static String gspmdText(OpSharding p, boolean lastTileDimReplicate) {
    StringBuilder b = new StringBuilder("{devices=[").append(csv(p.getTileAssignmentDimensionsList())).append(']');
    if (p.getIotaReshapeDimsCount() > 0) {
      b.append("<=[").append(csv(p.getIotaReshapeDimsList())).append(']');
      if (p.getIotaTransposePermCount() > 0) b.append("T(").append(csv(p.getIotaTransposePermList())).append(')');
    } else {
      b.append(csv(p.getTileAssignmentDevicesList()));
    }
    if (lastTileDimReplicate) b.append(" last_tile_dim_replicate");
    return b.append('}').toString();
  }

  /** Splits the shim's encoding (u32 count, then per output a u32 length and the proto bytes; little-endian). */
  static List<byte[]> decodeList(byte[] encoded) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(encoded).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int n = b.getInt();
    List<byte[]> out = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] p = new byte[b.getInt()];
      b.get(p);
      out.add(p);
    }
    return out;
  }

  /** Parses result {@code index}'s serialized proto, naming the result when the bytes are not an OpSharding. */
  static OpSharding parse(byte[] bytes, int index) {
    try {
      return OpSharding.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("the PJRT plugin's output sharding of result " + index
          + " is not a serialized xla.OpSharding (" + bytes.length + " bytes): " + e.getMessage(), e);
    }
  }

  private static String csv(List<? extends Number> xs) {
    return xs.stream().map(String::valueOf).collect(Collectors.joining(","));
  }
}
