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

  /**
   * Reads HloSharding text as XLA writes it in {@code mhlo.sharding} — {@code {replicated}},
   * {@code {devices=[2,1]0,1}}, with {@code last_tile_dim_replicate}, or with an iota tile assignment
   * ({@code <=[8]}, {@code <=[2,4]T(1,0)}) — for a tensor of {@code rank}. The result is a named sharding
   * over a mesh named {@code gspmd} with one axis per tensor dimension ({@code d0}, {@code d1}, ...: the
   * tile counts) and {@code replica} for replicated tiles; mesh device ids are the tile assignment's
   * (partition numbers), so {@code gspmd(parseGspmd(t, r), r)} gives {@code t} back.
   *
   * <pre>{@code
   * ShardingText.parseGspmd("{devices=[2,1]0,1}", 2);   // Named(mesh d0=2 d1=1, P('d0', None))
   * }</pre>
   *
   * @throws IllegalArgumentException for forms without a mesh equivalent ({@code maximal}, {@code manual},
   *     {@code last_tile_dims}, tuples) or malformed text
   */
  public static Sharding parseGspmd(String text, int rank) {
    String t = text.strip();
    if (!t.startsWith("{") || !t.endsWith("}")) throw bad(text, "not enclosed in {...}");
    String in = t.substring(1, t.length() - 1).strip();
    if (in.equals("replicated")) return Sharding.replicated();
    if (!in.startsWith("devices=[")) throw bad(text, "only {replicated} and {devices=[...]...} have a mesh equivalent");
    int close = in.indexOf(']');
    if (close < 0) throw bad(text, "unclosed tile dimensions");
    int[] tiles = ints(in.substring("devices=[".length(), close), text);
    String rest = in.substring(close + 1).strip();
    boolean replicate = false;
    if (rest.endsWith("last_tile_dim_replicate")) {
      replicate = true;
      rest = rest.substring(0, rest.length() - "last_tile_dim_replicate".length()).strip();
    }
    if ((rest.contains("=") && !rest.startsWith("<=[")) || rest.contains(" ")) {
      throw bad(text, "unsupported attribute in '" + rest + "'");
    }
    if (tiles.length != rank + (replicate ? 1 : 0)) {
      throw bad(text, "expected " + (rank + (replicate ? 1 : 0)) + " tile dimensions for a rank-" + rank + " tensor");
    }
    int n = 1;
    for (int d : tiles) n = Math.multiplyExact(n, d);
    List<Integer> ids = rest.startsWith("<=[") ? iota(rest, n, text) : intList(rest, text);
    if (ids.size() != n) throw bad(text, "expected " + n + " device ids, got " + ids.size());
    java.util.LinkedHashMap<String, Integer> axes = new java.util.LinkedHashMap<>();
    Object[] spec = new Object[rank];
    for (int i = 0; i < rank; i++) {
      axes.put("d" + i, tiles[i]);
      spec[i] = tiles[i] > 1 ? "d" + i : null;
    }
    if (replicate) axes.put("replica", tiles[rank]);
    return Sharding.named(new Mesh("gspmd", axes, ids), PartitionSpec.of(spec));
  }

  private static List<Integer> iota(String rest, int n, String text) {
    int close = rest.indexOf(']');
    if (close < 0) throw bad(text, "unclosed iota shape");
    int[] shape = ints(rest.substring(3, close), text);
    String after = rest.substring(close + 1);
    int[] perm = new int[shape.length];
    for (int i = 0; i < perm.length; i++) perm[i] = i;
    if (after.startsWith("T(") && after.endsWith(")")) {
      perm = ints(after.substring(2, after.length() - 1), text);
    } else if (!after.isEmpty()) {
      throw bad(text, "unexpected '" + after + "' after the iota shape");
    }
    if (perm.length != shape.length) throw bad(text, "transpose of rank " + perm.length + " for an iota of rank " + shape.length);
    List<Integer> flat = new ArrayList<>(n);
    for (int i = 0; i < n; i++) flat.add(i);
    return transpose(flat, shape, perm);
  }

  private static int[] ints(String csv, String text) {
    return intList(csv, text).stream().mapToInt(Integer::intValue).toArray();
  }

  private static List<Integer> intList(String csv, String text) {
    List<Integer> out = new ArrayList<>();
    if (csv.isBlank()) return out;
    for (String p : csv.split(",")) {
      try {
        out.add(Integer.parseInt(p.strip()));
      } catch (NumberFormatException e) {
        throw bad(text, "'" + p.strip() + "' is not an integer");
      }
    }
    return out;
  }

  private static IllegalArgumentException bad(String text, String why) {
    return new IllegalArgumentException("mhlo.sharding \"" + text + "\": " + why);
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
