package org.xla4j.sharding;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How each tensor dimension is split over mesh axes, as in JAX's {@code PartitionSpec}: per dimension
 * none (replicated), one axis, or several axes (major to minor).
 *
 * <pre>{@code
 * PartitionSpec.of("data", null);                    // P('data', None)
 * PartitionSpec.of(List.of("data", "model"), null);  // P(('data', 'model'), None)
 * }</pre>
 */
public record PartitionSpec(List<List<String>> dims) {
  public PartitionSpec {
    dims = dims.stream().map(List::copyOf).toList();
    List<String> seen = new ArrayList<>();
    for (List<String> d : dims) {
      for (String a : d) {
        if (seen.contains(a)) throw new IllegalArgumentException("PartitionSpec: axis '" + a + "' used twice in " + dims);
        seen.add(a);
      }
    }
  }

  /**
   * One entry per dimension: {@code null} (replicated), a String axis, or a {@code List<String>} of axes.
   */
  public static PartitionSpec of(Object... entries) {
    List<List<String>> d = new ArrayList<>();
    for (Object e : entries) {
      if (e == null) d.add(List.of());
      else if (e instanceof String s) d.add(List.of(s));
      else if (e instanceof List<?> l) d.add(l.stream().map(String.class::cast).toList());
      else if (e instanceof String[] a) d.add(Arrays.asList(a));
      else throw new IllegalArgumentException("PartitionSpec: entries are null, an axis name or a list of names, got " + e);
    }
    return new PartitionSpec(d);
  }

  /** A fully replicated spec of the given rank. */
  public static PartitionSpec replicated(int rank) {
    List<List<String>> d = new ArrayList<>();
    for (int i = 0; i < rank; i++) d.add(List.of());
    return new PartitionSpec(d);
  }

  public int rank() { return dims.size(); }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("P(");
    for (int i = 0; i < dims.size(); i++) {
      if (i > 0) sb.append(", ");
      List<String> d = dims.get(i);
      sb.append(d.isEmpty() ? "None" : d.size() == 1 ? "'" + d.get(0) + "'" : d.toString());
    }
    return sb.append(')').toString();
  }
}
