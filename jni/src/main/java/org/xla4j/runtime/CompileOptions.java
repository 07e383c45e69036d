package org.xla4j.runtime;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How to compile a program: replica/partition counts, SPMD partitioning, device assignment and XLA
 * debug-option overrides. Build with {@link #builder()}.
 *
 * <pre>{@code
 * CompileOptions opts = CompileOptions.builder().numPartitions(2).spmd(true).build();
 * }</pre>
 */
public record CompileOptions(
    int numReplicas,
    int numPartitions,
    boolean spmd,
    List<Integer> deviceAssignment,
    Map<String, String> debugOptions) {

  public CompileOptions {
    if (numReplicas < 1) throw new IllegalArgumentException("numReplicas must be >= 1, got " + numReplicas);
    if (numPartitions < 1) throw new IllegalArgumentException("numPartitions must be >= 1, got " + numPartitions);
    deviceAssignment = List.copyOf(deviceAssignment);
    debugOptions = Map.copyOf(debugOptions);
    if (!deviceAssignment.isEmpty() && deviceAssignment.size() != numReplicas * numPartitions) {
      throw new IllegalArgumentException("deviceAssignment has " + deviceAssignment.size()
          + " entries; requires numReplicas*numPartitions = " + numReplicas * numPartitions);
    }
  }

  /** One replica, one partition, no overrides. */
  public static CompileOptions defaults() { return builder().build(); }

  public static Builder builder() { return new Builder(); }

  /** Number of devices the program runs on. */
  public int numDevices() { return numReplicas * numPartitions; }

  /** Builder for {@link CompileOptions}. */
  public static final class Builder {
    private int numReplicas = 1;
    private int numPartitions = 1;
    private boolean spmd;
    private List<Integer> deviceAssignment = List.of();
    private Map<String, String> debugOptions = Map.of();

    public Builder numReplicas(int n) { this.numReplicas = n; return this; }

    public Builder numPartitions(int n) { this.numPartitions = n; return this; }

    public Builder spmd(boolean on) { this.spmd = on; return this; }

    public Builder deviceAssignment(List<Integer> ids) { this.deviceAssignment = Objects.requireNonNull(ids); return this; }

    /** XLA DebugOptions overrides by field name, e.g. {@code xla_dump_to=/tmp/dump}. */
    public Builder debugOptions(Map<String, String> opts) { this.debugOptions = Objects.requireNonNull(opts); return this; }

    public CompileOptions build() {
      return new CompileOptions(numReplicas, numPartitions, spmd, deviceAssignment, debugOptions);
    }
  }
}
