package org.xla4j.runtime;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How to compile, beyond what the program states: which devices run it and XLA debug-option
 * overrides. Replica and partition counts, SPMD partitioning and the partitioner are not here: a
 * {@link org.xla4j.program.Program} states them (derived from its mesh), and external text states them
 * in its {@code mhlo.num_partitions} / {@code mhlo.num_replicas} attributes.
 *
 * <pre>{@code
 * CompileOptions opts = CompileOptions.builder().deviceAssignment(List.of(4, 5)).build();
 * }</pre>
 *
 * @param deviceAssignment device ids, replica-major ({@code ids[r * partitions + p]}); empty: the
 *     backend's first devices in order
 * @param debugOptions XLA DebugOptions overrides by field name, e.g. {@code xla_dump_to=/tmp/dump}
 */
public record CompileOptions(List<Integer> deviceAssignment, Map<String, String> debugOptions) {

  public CompileOptions {
    deviceAssignment = List.copyOf(deviceAssignment);
    debugOptions = Map.copyOf(debugOptions);
  }

  /** The backend's first devices, no overrides. */
  public static CompileOptions defaults() { return builder().build(); }

  public static Builder builder() { return new Builder(); }

  /** These options with {@code debugOptions} in place of the present ones. */
  public CompileOptions withDebugOptions(Map<String, String> opts) { return new CompileOptions(deviceAssignment, opts); }

  /**
   * Checks the device assignment against the program's device count.
   *
   * @throws IllegalArgumentException naming both counts when they differ
   */
  public void checkFor(int replicas, int partitions) {
    if (!deviceAssignment.isEmpty() && deviceAssignment.size() != replicas * partitions) {
      throw new IllegalArgumentException("compile: deviceAssignment has " + deviceAssignment.size()
          + " entries; the program runs " + replicas + " replica(s) x " + partitions + " partition(s) = "
          + replicas * partitions + " devices");
    }
  }

  /** Builder for {@link CompileOptions}. */
  public static final class Builder {
    private List<Integer> deviceAssignment = List.of();
    private Map<String, String> debugOptions = Map.of();

    public Builder deviceAssignment(List<Integer> ids) { this.deviceAssignment = Objects.requireNonNull(ids); return this; }

    /** XLA DebugOptions overrides by field name, e.g. {@code xla_dump_to=/tmp/dump}. */
    public Builder debugOptions(Map<String, String> opts) { this.debugOptions = Objects.requireNonNull(opts); return this; }

    public CompileOptions build() { return new CompileOptions(deviceAssignment, debugOptions); }
  }
}
