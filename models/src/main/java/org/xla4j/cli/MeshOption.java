package org.xla4j.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.xla4j.sharding.Mesh;

/** Parses {@code --mesh data=2,model=4} into a {@link Mesh} named {@code mesh} (axes in the order given). */
final class MeshOption {
  private MeshOption() {}

  static Mesh parse(String text) {
    Map<String, Integer> axes = new LinkedHashMap<>();
    for (String part : text.split(",")) {
      String[] kv = part.trim().split("=", -1);
      int size;
      try {
        size = kv.length == 2 ? Integer.parseInt(kv[1].trim()) : -1;
      } catch (NumberFormatException e) {
        size = -1;
      }
      if (kv.length != 2 || kv[0].isBlank() || size <= 0) {
        throw new IllegalArgumentException("--mesh takes AXIS=SIZE[,AXIS=SIZE...] with positive sizes, e.g. "
            + "data=2,model=4; got '" + text + "' (at '" + part + "')");
      }
      if (axes.put(kv[0].trim(), size) != null) {
        throw new IllegalArgumentException("--mesh names axis '" + kv[0].trim() + "' twice in '" + text + "'");
      }
    }
    return Mesh.of("mesh", axes);
  }
}
