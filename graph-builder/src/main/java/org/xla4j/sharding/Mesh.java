package org.xla4j.sharding;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A logical grid of devices with named axes, as in JAX's {@code jax.sharding.Mesh}.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.of("mesh", Map.of("data", 2, "model", 4));        // iota device order
 * Mesh m2 = Mesh.builder("mesh").axis("data", 2).axis("model", 2).devices(3, 2, 1, 0).build();
 * }</pre>
 *
 * @param name symbol name used in Shardy text ({@code @mesh})
 * @param axes axis names to sizes, in major-to-minor order
 * @param deviceIds device ids in row-major mesh order
 */
public record Mesh(String name, Map<String, Integer> axes, List<Integer> deviceIds) {
  public Mesh {
    if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("Mesh: name must be an identifier, got '" + name + "'");
    }
    axes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(axes));
    deviceIds = List.copyOf(deviceIds);
    int n = axes.values().stream().reduce(1, Math::multiplyExact);
    for (var e : axes.entrySet()) {
      if (e.getValue() < 1) throw new IllegalArgumentException("Mesh: axis '" + e.getKey() + "' has size " + e.getValue());
    }
    if (deviceIds.size() != n) {
      throw new IllegalArgumentException("Mesh: axes " + axes + " require " + n + " device ids, got " + deviceIds.size());
    }
    if (deviceIds.stream().distinct().count() != n) {
      throw new IllegalArgumentException("Mesh: device ids must be distinct, got " + deviceIds);
    }
  }

  /** A mesh over devices 0..n-1 in order; {@code axes} should be an ordered map (e.g. LinkedHashMap). */
  public static Mesh of(String name, Map<String, Integer> axes) {
    int n = axes.values().stream().reduce(1, Math::multiplyExact);
    return new Mesh(name, axes, IntStream.range(0, n).boxed().toList());
  }

  public static Builder builder(String name) { return new Builder(name); }

  public int size() { return deviceIds.size(); }

  public int axisSize(String axis) {
    Integer s = axes.get(axis);
    if (s == null) throw new IllegalArgumentException("Mesh '" + name + "' has no axis '" + axis + "'; axes are " + axes.keySet());
    return s;
  }

  public List<String> axisNames() { return List.copyOf(axes.keySet()); }

  /** True when device ids are 0..n-1 in row-major order. */
  public boolean isIota() {
    for (int i = 0; i < deviceIds.size(); i++) if (deviceIds.get(i) != i) return false;
    return true;
  }

  /** Builder keeping axis order. */
  public static final class Builder {
    private final String name;
    private final LinkedHashMap<String, Integer> axes = new LinkedHashMap<>();
    private List<Integer> devices;

    Builder(String name) { this.name = name; }

    public Builder axis(String axisName, int size) {
      if (axes.put(axisName, size) != null) throw new IllegalArgumentException("Mesh: duplicate axis '" + axisName + "'");
      return this;
    }

    public Builder devices(int... ids) {
      devices = new ArrayList<>();
      for (int id : ids) devices.add(id);
      return this;
    }

    public Mesh build() {
      return devices == null ? Mesh.of(name, axes) : new Mesh(name, axes, devices);
    }
  }
}
