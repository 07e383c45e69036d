package org.xla4j.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.CompiledMemoryStats;
import org.xla4j.runtime.CostAnalysis;
import org.xla4j.runtime.Platform;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.PartitionSpec;
import org.xla4j.sharding.Sharding;
import org.xla4j.types.StableHloVersion;

/**
 * The shim's plugin-attribute, cost-analysis and compiled-memory-stats paths, end to end from Java
 * through JNI and the shim, against a test-double plugin ({@code src/test/native/fake_pjrt_plugin.cc})
 * built here with g++: the values it hands out must come back unchanged, and a plugin whose function
 * table lacks the entries must give empty results, not a crash. Skips where g++ or the JNI library is
 * missing. (The real plugin's values are checked by RuntimeCapabilitiesTest on the GPU machine.)
 */
class PjrtFakePluginTest {
  private static final String ONE_RESULT = """
      module @m {
        func.func public @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
          "func.return"(%arg0) : (tensor<4xf32>) -> ()
        }
      }
      """;

  static Path build(Path dir, String name, String... defines) throws IOException, InterruptedException {
    Path src = Path.of("src/test/native/fake_pjrt_plugin.cc");
    assumeTrue(Files.isRegularFile(src) && Files.isRegularFile(Path.of("../native/pjrt_abi.h")),
        "the test plugin's source is not here (run from the jni module of a checkout)");
    Path out = dir.resolve(name);
    List<String> cmd = new java.util.ArrayList<>(List.of("g++", "-shared", "-fPIC", "-std=c++17", "-I../native"));
    cmd.addAll(List.of(defines));
    cmd.addAll(List.of("-o", out.toString(), src.toString()));
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      assumeTrue(false, "no g++ to build the test plugin: " + e.getMessage());
      throw e;
    }
    String log = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), "building the test plugin failed:\n" + log);
    return out;
  }

  static PjrtBackend open(Path plugin) {
    try {
      PjrtNative.load();
    } catch (UnsatisfiedLinkError e) {
      assumeTrue(false, "the xla4j PJRT JNI library is not built: " + e.getMessage());
    }
    return PjrtBackend.open(PjrtBackend.Options.defaults().withPlugin(plugin.toString()));
  }

  @Test
  void attributesCostsAndMemoryStatsComeThroughUnchanged(@TempDir Path tmp) throws Exception {
    try (Backend b = open(build(tmp, "libfake_pjrt.so"))) {
      assertEquals(Platform.OTHER, b.platform());
      assertEquals("0.94", b.apiVersion());
      assertEquals(Map.of("xla_version", 2L, "stablehlo_current_version", List.of(1L, 9L, 3L),
          "stablehlo_minimum_version", List.of(0L, 9L, 0L)), b.attributes());
      assertEquals(StableHloVersion.of(1, 9, 3), b.stablehloVersion().orElseThrow());
      assertEquals(StableHloVersion.of(0, 9, 0), b.stablehloMinimumVersion().orElseThrow());
      assertTrue(b.toString().contains("StableHLO 1.9.3"), b.toString());
      try (PjrtExecutable exe = ((PjrtBackend) b).compileUncached(ONE_RESULT, CompileOptions.defaults())) {
        CostAnalysis c = exe.costAnalysis().orElseThrow();
        assertEquals(Map.of("flops", 32.0, "bytes accessed", 196.0), c.properties());
        assertEquals(32.0, c.flops().orElseThrow());
        assertEquals(196.0, c.bytesAccessed().orElseThrow());
        // peak left 0 by the plugin reads as unreported
        assertEquals(new CompiledMemoryStats(1, 132, 64, 0, 5, 6, 7, 8, 9, 10, -1, 202),
            exe.compiledMemoryStats().orElseThrow());
        // the text states no sharding; the plugin's {devices=[1]0} (Shardings extension) is what we get
        assertEquals(1, exe.outputShardingProtos().orElseThrow().size());
        assertEquals(List.of(Sharding.named(new Mesh("gspmd", Map.of("d0", 1), List.of(0)), PartitionSpec.of((Object) null))),
            exe.resultShardings());
      }
    }
  }

  @Test
  void aPluginWithoutTheEntriesGivesEmptyResults(@TempDir Path tmp) throws Exception {
    try (Backend b = open(build(tmp, "libfake_pjrt_short.so", "-DX4J_FAKE_SHORT"))) {
      assertEquals(Map.of(), b.attributes());
      assertTrue(b.stablehloVersion().isEmpty());
      try (PjrtExecutable exe = ((PjrtBackend) b).compileUncached(ONE_RESULT, CompileOptions.defaults())) {
        assertTrue(exe.costAnalysis().isEmpty());
        assertTrue(exe.compiledMemoryStats().isEmpty());
        // no Shardings extension: the text's reading stays (it states none)
        assertTrue(exe.outputShardingProtos().isEmpty());
        assertEquals(java.util.Collections.singletonList(null), exe.resultShardings());
      }
    }
  }

  @Test
  void theMissingEntryIsNamedWithTheApiVersion(@TempDir Path tmp) throws Exception {
    Path plugin = build(tmp, "libfake_pjrt_short2.so", "-DX4J_FAKE_SHORT");
    try (Backend b = open(plugin)) {
      assertTrue(b.attributes().isEmpty());
    }
    long[] size = new long[1];
    PjrtNative.Plugin p = PjrtNative.x4j_plugin_load(plugin.toString());
    assertTrue(PjrtNative.take(PjrtNative.x4j_plugin_attributes(p, size), size) == null);
    assertEquals(12, PjrtNative.x4j_last_error_code()); // UNIMPLEMENTED
    assertEquals("this PJRT plugin (C API 0.94) has no PJRT_Plugin_Attributes", PjrtNative.lastMessage());
  }
}
