package org.xla4j.runtime.pjrt;

import java.util.List;
import java.util.Map;
import org.xla4j.program.Partitioner;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.ProgramText;
import org.xla4j.runtime.pjrt.proto.CompileOptionsProtos.CompileOptionsProto;
import org.xla4j.runtime.pjrt.proto.CompileOptionsProtos.DeviceAssignmentProto;
import org.xla4j.runtime.pjrt.proto.CompileOptionsProtos.ExecutableBuildOptionsProto;
import org.xla4j.runtime.pjrt.proto.CompileOptionsProtos.OptionOverrideProto;

/** Serializes {@link CompileOptions} as the {@code xla.CompileOptionsProto} PJRT_Client_Compile reads. */
public final class PjrtCompileOptions {
  private PjrtCompileOptions() {}

  /**
   * Builds the proto. Counts, SPMD (on when there is more than one partition) and the partitioner
   * (Shardy or GSPMD) come from the program {@code t}; {@code o} adds the device assignment, read
   * replica-major ({@code ids[r * numPartitions + p]}), and debug options, which become
   * {@code env_option_overrides} (XLA applies them over its defaults).
   */
  public static CompileOptionsProto toProto(ProgramText t, CompileOptions o) {
    int replicas = t.numReplicas();
    int partitions = t.numPartitions();
    o.checkFor(replicas, partitions);
    ExecutableBuildOptionsProto.Builder b = ExecutableBuildOptionsProto.newBuilder()
        .setDeviceOrdinal(-1)
        .setNumReplicas(replicas)
        .setNumPartitions(partitions)
        .setUseSpmdPartitioning(t.spmd())
        .setUseShardyPartitioner(t.partitioner() == Partitioner.SHARDY);
    List<Integer> ids = o.deviceAssignment();
    if (!ids.isEmpty()) {
      DeviceAssignmentProto.Builder da = DeviceAssignmentProto.newBuilder()
          .setReplicaCount(replicas).setComputationCount(partitions);
      for (int p = 0; p < partitions; p++) {
        DeviceAssignmentProto.ComputationDevice.Builder cd = DeviceAssignmentProto.ComputationDevice.newBuilder();
        for (int r = 0; r < replicas; r++) cd.addReplicaDeviceIds(ids.get(r * partitions + p));
        da.addComputationDevices(cd);
      }
      b.setDeviceAssignment(da);
    }
    CompileOptionsProto.Builder c = CompileOptionsProto.newBuilder().setExecutableBuildOptions(b);
    for (Map.Entry<String, String> e : o.debugOptions().entrySet()) c.putEnvOptionOverrides(e.getKey(), override(e.getValue()));
    return c.build();
  }

  static OptionOverrideProto override(String v) {
    String s = v.strip();
    if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
      return OptionOverrideProto.newBuilder().setBoolField(Boolean.parseBoolean(s)).build();
    }
    try {
      return OptionOverrideProto.newBuilder().setIntField(Long.parseLong(s)).build();
    } catch (NumberFormatException ignored) {
      // not an integer
    }
    if (s.matches("[-+]?(\\d+\\.\\d*|\\.\\d+|\\d+)([eE][-+]?\\d+)?")) {
      return OptionOverrideProto.newBuilder().setDoubleField(Double.parseDouble(s)).build();
    }
    return OptionOverrideProto.newBuilder().setStringField(v).build();
  }
}
