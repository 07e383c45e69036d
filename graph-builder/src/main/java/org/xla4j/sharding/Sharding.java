package org.xla4j.sharding;

/**
 * How a tensor is laid out over devices: a mesh plus a partition spec, or fully replicated.
 *
 * <pre>{@code
 * Sharding s = Sharding.named(mesh, PartitionSpec.of("data", null));
 * }</pre>
 */
public sealed interface Sharding {
  /** The same full tensor on every device. */
  record Replicated() implements Sharding {}

  /** Split as {@code spec} says over {@code mesh}. */
  record Named(Mesh mesh, PartitionSpec spec) implements Sharding {
    public Named {
      for (var d : spec.dims()) for (String a : d) mesh.axisSize(a);
    }
  }

  static Sharding replicated() { return new Replicated(); }

  static Sharding named(Mesh mesh, PartitionSpec spec) { return new Named(mesh, spec); }
}
