package org.xla4j.sharding;

import java.util.ArrayList;
import java.util.List;

/** Renders a {@link Sharding} in the GSPMD (HloSharding text) and Shardy (sdy dialect) forms. */
public final class ShardingText {
  private ShardingText() {}

  /**
   * HloSharding text, e.g. {@code {devices=[2,1]0,1}}, {@code {replicated}} or
   * {@code {devices=[2,1,2]0,2,1,3 last_tile_dim_replicate}} when some mesh axes are unused.
   */
  public static String gspmd(Sharding s, int rank) {
    return switch (s) {
      case Sharding.Replicated r -> "{replicated}";
      case Sharding.Named n -> gspmdNamed(n, rank);
    };
  }

  private static String gspmdNamed(Sharding.Named n, int rank) {
    Mesh mesh = n.mesh();
    PartitionSpec spec = n.spec();
    if (spec.rank() > rank) {
      throw new IllegalArgumentException("sharding: " + spec + " has " + spec.rank() + " entries for a rank-" + rank + " tensor");
    }
    List<String> axisNames = mesh.axisNames();
    List<String> used = new ArrayList<>();
    int[] tiles = new int[rank];
    for (int d = 0; d < rank; d++) {
      tiles[d] = 1;
      if (d < spec.rank()) {
        for (String a : spec.dims().get(d)) {
          tiles[d] *= mesh.axisSize(a);
          used.add(a);
        }
      }
    }
    List<String> unused = axisNames.stream().filter(a -> !used.contains(a)).toList();
    int replicate = unused.stream().mapToInt(mesh::axisSize).reduce(1, (x, y) -> x * y);
    if (replicate == mesh.size()) return "{replicated}";
    // Tile assignment = mesh device array transposed to (used axes in dim order..., unused axes...).
    List<String> order = new ArrayList<>(used);
    order.addAll(unused);
    int[] perm = order.stream().mapToInt(axisNames::indexOf).toArray();
    int[] sizes = axisNames.stream().mapToInt(mesh::axisSize).toArray();
    List<Integer> devices = transpose(mesh.deviceIds(), sizes, perm);
    StringBuilder sb = new StringBuilder("{devices=[");
    for (int d = 0; d < rank; d++) sb.append(d == 0 ? "" : ",").append(tiles[d]);
    if (replicate > 1) sb.append(rank == 0 ? "" : ",").append(replicate);
    sb.append(']');
    for (int i = 0; i < devices.size(); i++) sb.append(i == 0 ? "" : ",").append(devices.get(i));
    if (replicate > 1) sb.append(" last_tile_dim_replicate");
    return sb.append('}').toString();
  }

  /** Row-major transpose of a flat array with shape {@code sizes} by {@code perm}. */
  static List<Integer> transpose(List<Integer> flat, int[] sizes, int[] perm) {
    int n = flat.size();
    int rank = sizes.length;
    int[] strides = new int[rank];
    for (int i = rank - 1, s = 1; i >= 0; i--) {
      strides[i] = s;
      s *= sizes[i];
    }
    List<Integer> out = new ArrayList<>(n);
    int[] idx = new int[rank];
    for (int k = 0; k < n; k++) {
      int src = 0;
      for (int i = 0; i < rank; i++) src += idx[i] * strides[perm[i]];
      out.add(flat.get(src));
      for (int i = rank - 1; i >= 0; i--) {
        if (++idx[i] < sizes[perm[i]]) break;
        idx[i] = 0;
      }
    }
    return out;
  }

  /** The Shardy mesh attribute body, e.g. {@code <["data"=2, "model"=4]>} (device ids when not iota). */
  public static String shardyMesh(Mesh mesh) {
    StringBuilder sb = new StringBuilder("<[");
    int i = 0;
    for (var e : mesh.axes().entrySet()) {
      sb.append(i++ == 0 ? "" : ", ").append('"').append(e.getKey()).append("\"=").append(e.getValue());
    }
    sb.append(']');
    if (!mesh.isIota()) {
      sb.append(", device_ids=[");
      for (int k = 0; k < mesh.deviceIds().size(); k++) sb.append(k == 0 ? "" : ", ").append(mesh.deviceIds().get(k));
      sb.append(']');
    }
    return sb.append('>').toString();
  }

  /**
   * A Shardy tensor sharding, e.g. {@code #sdy.sharding<@mesh, [{"data"}, {}]>}. A replicated value
   * uses {@code replicatedMeshName} (any mesh of the module) with empty dimension shardings.
   */
  public static String shardy(Sharding s, int rank, String replicatedMeshName) {
    return switch (s) {
      case Sharding.Replicated r -> "#sdy.sharding<@" + replicatedMeshName + ", [" + emptyDims(rank) + "]>";
      case Sharding.Named n -> {
        StringBuilder sb = new StringBuilder("#sdy.sharding<@").append(n.mesh().name()).append(", [");
        for (int d = 0; d < rank; d++) {
          sb.append(d == 0 ? "" : ", ").append('{');
          List<String> axes = d < n.spec().rank() ? n.spec().dims().get(d) : List.of();
          for (int k = 0; k < axes.size(); k++) sb.append(k == 0 ? "" : ", ").append('"').append(axes.get(k)).append('"');
          sb.append('}');
        }
        yield sb.append("]>").toString();
      }
    };
  }

  private static String emptyDims(int rank) {
    StringBuilder sb = new StringBuilder();
    for (int d = 0; d < rank; d++) sb.append(d == 0 ? "{}" : ", {}");
    return sb.toString();
  }
}
