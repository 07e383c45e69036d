package org.xla4j.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.ProgramText;
import org.xla4j.runtime.XlaException;
import org.xla4j.runtime.pjrt.proto.CompileOptionsProtos.CompileOptionsProto;

/** What the PJRT bridge can check on any machine: the JNI library, plugin search, option encoding. */
class PjrtNoPluginTest {
  @Test
  void jniLibraryLoads() {
    PjrtNative.load();
    // a call that fails sets the thread's last error; one that succeeds clears it
    assertEquals(null, PjrtNative.x4j_plugin_load("/nonexistent/plugin.so"));
    assertEquals(5, PjrtNative.x4j_last_error_code());
    assertTrue(PjrtNative.lastMessage().contains("/nonexistent/plugin.so"), PjrtNative.lastMessage());
  }

  @Test
  void missingExplicitPluginListsWhereItLooked() {
    PjrtPlugins.Search s = PjrtPlugins.find("/nonexistent/xla_cuda_plugin.so");
    assertFalse(s.plugin().isPresent());
    XlaException e = assertThrows(XlaException.class, s::orThrow);
    assertEquals(XlaException.Code.NOT_FOUND, e.code());
    assertTrue(e.getMessage().contains("/nonexistent/xla_cuda_plugin.so"), e.getMessage());
    assertTrue(e.getMessage().contains("Looked at"), e.getMessage());
  }

  @Test
  void openWithMissingPluginFailsCleanly() {
    XlaException e = assertThrows(XlaException.class,
        () -> PjrtBackend.open(PjrtBackend.Options.defaults().withPlugin("/nonexistent/plugin.so")));
    assertEquals(XlaException.Code.NOT_FOUND, e.code());
  }

  @Test
  void libraryWithoutGetPjrtApiIsRefused() throws Exception {
    PjrtNative.load();
    // The JNI library itself is a shared library without GetPjrtApi.
    String lib = Loader.cacheResource(PjrtNative.class, "linux-x86_64/libjniPjrtNative.so").getPath();
    assertTrue(Files.isRegularFile(Path.of(lib)), lib);
    XlaException e = assertThrows(XlaException.class,
        () -> PjrtBackend.open(PjrtBackend.Options.defaults().withPlugin(lib)));
    assertEquals(XlaException.Code.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("GetPjrtApi"), e.getMessage());
  }

  @Test
  void compileOptionsProtoCarriesCountsAssignmentAndOverrides() throws Exception {
    CompileOptions o = CompileOptions.builder()
        .deviceAssignment(List.of(3, 5))
        .debugOptions(Map.of("xla_dump_to", "/tmp/d", "xla_gpu_autotune_level", "0", "xla_foo", "true"))
        .build();
    org.xla4j.program.Program program = twoPartitions();
    byte[] bytes = PjrtCompileOptions.toProto(ProgramText.of(program, program.partitioner().format()), o).toByteArray();
    CompileOptionsProto p = CompileOptionsProto.parseFrom(bytes);
    var b = p.getExecutableBuildOptions();
    assertEquals(-1, b.getDeviceOrdinal());
    assertEquals(1, b.getNumReplicas());
    assertEquals(2, b.getNumPartitions());
    assertTrue(b.getUseSpmdPartitioning());
    assertTrue(b.getUseShardyPartitioner());
    assertEquals(2, b.getDeviceAssignment().getComputationCount());
    assertEquals(List.of(3L), b.getDeviceAssignment().getComputationDevices(0).getReplicaDeviceIdsList());
    assertEquals(List.of(5L), b.getDeviceAssignment().getComputationDevices(1).getReplicaDeviceIdsList());
    assertEquals("/tmp/d", p.getEnvOptionOverridesOrThrow("xla_dump_to").getStringField());
    assertEquals(0L, p.getEnvOptionOverridesOrThrow("xla_gpu_autotune_level").getIntField());
    assertTrue(p.getEnvOptionOverridesOrThrow("xla_foo").getBoolField());
  }

  /** y = 2x with x split over a two-device mesh: 2 partitions, Shardy, from the mesh alone. */
  private static org.xla4j.program.Program twoPartitions() {
    org.xla4j.sharding.Mesh mesh = org.xla4j.sharding.Mesh.of("mesh", Map.of("x", 2));
    org.xla4j.dsl.Graph g = new org.xla4j.dsl.Graph("two");
    org.xla4j.dsl.Tensor x = g.parameter("x", org.xla4j.types.TensorType.of(org.xla4j.types.DType.F32, 4),
        org.xla4j.sharding.Sharding.named(mesh, org.xla4j.sharding.PartitionSpec.of("x")));
    return g.program(x.mul(2.0));
  }

  @Test
  void gspmdProgramAndOneDeviceProgramSetTheProtoFromTheProgram() throws Exception {
    org.xla4j.program.Program g = twoPartitions().withPartitioner(org.xla4j.program.Partitioner.GSPMD);
    var b = CompileOptionsProto.parseFrom(PjrtCompileOptions.toProto(ProgramText.of(g, g.partitioner().format()),
        CompileOptions.defaults()).toByteArray()).getExecutableBuildOptions();
    assertEquals(2, b.getNumPartitions());
    assertTrue(b.getUseSpmdPartitioning());
    assertFalse(b.getUseShardyPartitioner());
    org.xla4j.dsl.Graph one = new org.xla4j.dsl.Graph("one");
    org.xla4j.program.Program p = one.program(one.parameter(org.xla4j.types.DType.F32, 3).exp());
    var b1 = CompileOptionsProto.parseFrom(PjrtCompileOptions.toProto(ProgramText.of(p, p.partitioner().format()),
        CompileOptions.defaults()).toByteArray()).getExecutableBuildOptions();
    assertEquals(1, b1.getNumPartitions());
    assertFalse(b1.getUseSpmdPartitioning());
  }

  @Test
  void deviceAssignmentOfTheWrongSizeNamesBothCounts() {
    org.xla4j.program.Program program = twoPartitions();
    CompileOptions three = CompileOptions.builder().deviceAssignment(List.of(0, 1, 2)).build();
    var e = assertThrows(IllegalArgumentException.class,
        () -> PjrtCompileOptions.toProto(ProgramText.of(program, program.partitioner().format()), three));
    assertTrue(e.getMessage().contains("3 entries") && e.getMessage().contains("= 2 devices"), e.getMessage());
  }

  @Test
  void externalTextStatesItsCountsAndDialect() {
    ProgramText t = ProgramText.external("""
        module @m attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
          sdy.mesh @mesh = <["x"=2]>
          func.func public @main(%arg0: tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{"x"}]>}) -> tensor<4xf32> {
            return %arg0 : tensor<4xf32>
          }
        }""");
    assertEquals(2, t.numPartitions());
    assertEquals(org.xla4j.program.Partitioner.SHARDY, t.partitioner());
    assertEquals(List.of("sdy.sharding = #sdy.sharding<@mesh, [{\"x\"}]>"), t.argShardingTexts());
    assertEquals(List.of("arg0"), t.argPaths());
  }
}
