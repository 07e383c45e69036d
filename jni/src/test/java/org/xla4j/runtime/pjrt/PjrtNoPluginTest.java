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
    CompileOptions o = CompileOptions.builder().numReplicas(1).numPartitions(2).spmd(true)
        .deviceAssignment(List.of(3, 5))
        .debugOptions(Map.of("xla_dump_to", "/tmp/d", "xla_gpu_autotune_level", "0", "xla_foo", "true"))
        .build();
    byte[] bytes = PjrtCompileOptions.toProto(o, true).toByteArray();
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
}
