package org.xla4j.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionRules;
import org.xla4j.sharding.PartitionSpec;
import org.xla4j.types.TensorType;

/**
 * The rows of {@code xla4j model info}: each parameter's tree path, checkpoint name, type in the model's
 * layout and partition spec; printed as a table or as JSON.
 */
record ModelInfo(String source, List<Row> rows) {
  record Row(String path, String name, TensorType type, PartitionSpec spec) {}

  ModelInfo {
    rows = List.copyOf(rows);
  }

  /** Specs from {@code rules} (none: replicated, {@code P()}), checked on {@code mesh} when given. */
  static PartitionSpec spec(String path, TensorType type, PartitionRules rules, Mesh mesh) {
    if (rules == null) return PartitionSpec.of();
    PartitionSpec s = rules.spec(path, type);
    if (mesh != null) PartitionRules.check(path, type, s, mesh);
    return s;
  }

  long totalBytes() { return rows.stream().mapToLong(r -> r.type.byteSize()).sum(); }

  String json() {
    JsonArray params = new JsonArray();
    for (Row r : rows) {
      JsonObject o = new JsonObject();
      o.addProperty("path", r.path);
      o.addProperty("name", r.name);
      o.addProperty("dtype", r.type.dtype().name().toLowerCase(Locale.ROOT));
      JsonArray shape = new JsonArray();
      for (long d : r.type.shape().dims()) shape.add(d);
      o.add("shape", shape);
      o.addProperty("bytes", r.type.byteSize());
      JsonArray spec = new JsonArray();
      for (List<String> axes : r.spec.dims()) {
        if (axes.isEmpty()) {
          spec.add(JsonNull.INSTANCE);
        } else if (axes.size() == 1) {
          spec.add(new JsonPrimitive(axes.get(0)));
        } else {
          JsonArray many = new JsonArray();
          axes.forEach(many::add);
          spec.add(many);
        }
      }
      o.add("spec", spec);
      params.add(o);
    }
    JsonObject root = new JsonObject();
    root.add("params", params);
    root.addProperty("total_bytes", totalBytes());
    return new GsonBuilder().serializeNulls().setPrettyPrinting().disableHtmlEscaping().create().toJson(root);
  }

  String table() {
    List<String[]> cells = new ArrayList<>();
    cells.add(new String[] {"path", "checkpoint name", "dtype", "shape", "bytes", "spec"});
    for (Row r : rows) {
      cells.add(new String[] {r.path, r.name, r.type.dtype().name().toLowerCase(Locale.ROOT),
          r.type.shape().toString(), human(r.type.byteSize()), r.spec.toString()});
    }
    int[] w = new int[6];
    for (String[] c : cells) for (int i = 0; i < 6; i++) w[i] = Math.max(w[i], c[i].length());
    StringBuilder sb = new StringBuilder(source).append('\n');
    for (String[] c : cells) {
      for (int i = 0; i < 6; i++) {
        sb.append(i == 4 ? " ".repeat(w[i] - c[i].length()) + c[i] : c[i] + (i == 5 ? "" : " ".repeat(w[i] - c[i].length())));
        if (i < 5) sb.append("  ");
      }
      sb.append('\n');
    }
    sb.append(rows.size()).append(" parameters, ").append(human(totalBytes())).append(" (").append(totalBytes())
        .append(" bytes)\n");
    return sb.toString();
  }

  static String human(long bytes) {
    if (bytes < 1024) return bytes + " B";
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
