package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.CompiledMemoryStats;
import org.xla4j.runtime.CostAnalysis;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Platform;
import org.xla4j.runtime.X4jArtifact;
import org.xla4j.types.StableHloVersion;

/**
 * The optional capabilities of the backend-neutral runtime API, called the same way on every backend:
 * where a backend lacks one it says so (an exception naming the backend, or an empty Optional), where
 * it has one the values are checked against what the program must need. The embedded CPU part runs
 * everywhere; the PJRT part skips without a plugin.
 */
class RuntimeCapabilitiesTest {
  private static final String AXPY = PjrtArtifactTest.AXPY;

  // ---------------------------------------------------------------- the embedded CPU backend

  @Test
  void cpuSaysWhatItLacks() {
    Backend cpu = BackendUnderTest.openOrSkip("cpu");
    assertEquals(Platform.CPU, cpu.platform());
    assertTrue(cpu.attributes().isEmpty());
    assertTrue(cpu.stablehloVersion().isEmpty());
    assertEquals("", cpu.apiVersion());
    try (Executable exe = cpu.compile(AXPY, CompileOptions.defaults())) {
      UnsupportedOperationException s = assertThrows(UnsupportedOperationException.class, exe::serialize);
      assertTrue(s.getMessage().contains("cpu backend") && s.getMessage().contains("serialize"), s.getMessage());
      UnsupportedOperationException a = assertThrows(UnsupportedOperationException.class, () -> exe.toArtifact());
      assertTrue(a.getMessage().contains("cpu backend") && a.getMessage().contains(".x4j"), a.getMessage());
      assertTrue(exe.optimizedHlo().isEmpty());
      assertTrue(exe.costAnalysis().isEmpty());
      assertTrue(exe.compiledMemoryStats().isEmpty());
    }
    X4jArtifact foreign = PjrtArtifactTest.sample();
    UnsupportedOperationException l = assertThrows(UnsupportedOperationException.class, () -> cpu.load(foreign));
    assertTrue(l.getMessage().contains("cpu backend") && l.getMessage().contains("'cuda' artifacts"), l.getMessage());
  }

  @Test
  void callBuilderDonatesOnTheCpuBackend() {
    callBuilderDonates(BackendUnderTest.openOrSkip("cpu"));
  }

  // ---------------------------------------------------------------- a PJRT plugin

  @Test
  void pluginAttributesNameAStableHloVersion() {
    Backend gpu = BackendUnderTest.pjrtOrSkip();
    System.out.println("[capabilities] " + gpu + " attributes " + gpu.attributes());
    assertTrue(gpu.attributes().containsKey("stablehlo_current_version"), gpu.attributes().toString());
    StableHloVersion current = gpu.stablehloVersion().orElseThrow();
    StableHloVersion minimum = gpu.stablehloMinimumVersion().orElseThrow();
    assertTrue(current.compareTo(StableHloVersion.of(1, 0, 0)) >= 0, current.toString());
    assertTrue(minimum.compareTo(current) <= 0, minimum + " > " + current);
    assertTrue(gpu.toString().contains("StableHLO " + current), gpu.toString());
    assertTrue(gpu.apiVersion().startsWith("0."), gpu.apiVersion());
  }

  @Test
  void pjrtCostAnalysisCountsTheFlops() {
    Backend gpu = BackendUnderTest.pjrtOrSkip();
    try (Executable exe = gpu.compile(AXPY, CompileOptions.defaults())) {
      CostAnalysis c = exe.costAnalysis().orElseThrow(() -> new AssertionError("the plugin reports no cost analysis"));
      System.out.println("[capabilities] cost analysis " + c.properties());
      // 16 multiplies + 16 adds; XLA may count a fused multiply-add as 2 flops per element either way
      double flops = c.flops().orElseThrow();
      assertTrue(flops >= 16 && flops <= 64, "flops " + flops);
      // reads 1 + 16 + 16 floats and writes 16: at least 196 bytes
      assertTrue(c.bytesAccessed().orElseThrow() >= 196, c.properties().toString());
    }
  }

  @Test
  void pjrtCompiledMemoryStatsSizeTheArgumentsAndResult() {
    Backend gpu = BackendUnderTest.pjrtOrSkip();
    try (Executable exe = gpu.compile(AXPY, CompileOptions.defaults())) {
      CompiledMemoryStats m = exe.compiledMemoryStats()
          .orElseThrow(() -> new AssertionError("the plugin reports no compiled memory stats"));
      System.out.println("[capabilities] compiled memory stats " + m);
      // f32 scalar + two f32[16] in, one f32[16] out; allow each buffer up to 64 bytes of alignment padding
      assertTrue(m.arguments() >= 4 + 64 + 64 && m.arguments() <= 4 + 64 + 64 + 3 * 64, m.toString());
      assertTrue(m.outputs() >= 64 && m.outputs() <= 128, m.toString());
      assertEquals(0, m.aliased(), m.toString()); // nothing donated
      assertTrue(m.temp() >= 0 && m.generatedCode() >= 0, m.toString());
    }
  }

  @Test
  void pjrtOptimizedHloIsText() {
    Backend gpu = BackendUnderTest.pjrtOrSkip();
    try (Executable exe = gpu.compile(AXPY, CompileOptions.defaults())) {
      String hlo = exe.optimizedHlo().orElseThrow();
      System.out.println("[capabilities] optimized HLO: " + hlo.lines().count() + " lines");
      assertTrue(hlo.contains("ENTRY"), hlo);
      assertTrue(hlo.contains("HloModule"), hlo);
    }
  }

  @Test
  void pjrtArtifactLoadsThroughTheNeutralApi() {
    Backend gpu = BackendUnderTest.pjrtOrSkip();
    try (Executable exe = gpu.compile(AXPY, CompileOptions.defaults());
         Executable loaded = gpu.load(X4jArtifact.fromBytes(exe.toArtifact().toBytes()))) {
      assertEquals(exe.signature(), loaded.signature());
      assertArrayEquals(PjrtArtifactTest.axpyWant(), loaded.execute(PjrtArtifactTest.axpyArgs()).get(0).toFloatArray());
      // a loaded program has no source to compile again: its optimized HLO comes from the plugin's
      // optimized program, or not at all where the plugin lacks PJRT_Executable_OptimizedProgram
      loaded.optimizedHlo().ifPresent(h -> {
        assertTrue(h.startsWith("// optimized HLO from PJRT_Executable_OptimizedProgram"), h);
        assertTrue(h.contains("ENTRY"), h);
      });
    }
  }

  @Test
  void callBuilderDonatesOnPjrt() {
    callBuilderDonates(BackendUnderTest.pjrtOrSkip());
  }

  // ---------------------------------------------------------------- shared

  /** y = a*x + y with y donated: the result matches a Java loop, the donated buffer is gone, x is kept. */
  private static void callBuilderDonates(Backend b) {
    List<HostTensor> in = PjrtArtifactTest.axpyArgs();
    try (Executable exe = b.compile(AXPY, CompileOptions.defaults());
         DeviceBuffer a = b.toDevice(in.get(0));
         DeviceBuffer x = b.toDevice(in.get(1))) {
      DeviceBuffer y = b.toDevice(in.get(2));
      List<DeviceBuffer> out = exe.call().arg(a).arg(x).donated(y).execute();
      try {
        assertArrayEquals(PjrtArtifactTest.axpyWant(), out.get(0).toHost().toFloatArray());
        assertTrue(y.isDeleted(), "the donated argument must be unusable on every backend");
        assertFalse(x.isDeleted());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> exe.call().arg(a).arg(x).donate(3).execute());
        assertTrue(e.getMessage().contains("argument 3 does not exist"), e.getMessage());
      } finally {
        out.forEach(DeviceBuffer::close);
        y.close();
      }
    }
  }
}
