package org.xla4j.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.graph.HloSummary;
import org.xla4j.runtime.CompileDump;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloComputationProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloInstructionProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloModuleConfigProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloModuleProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloModuleProtoWithConfig;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.LayoutProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.OpMetadata;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.PrimitiveType;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.ShapeProto;

/**
 * {@link PjrtExecutable#optimizedHlo()} end to end through JNI and the shim against the test-double
 * plugin ({@code src/test/native/fake_pjrt_plugin.cc}): with PJRT_Executable_OptimizedProgram the text is
 * the plugin's proto printed by HloText, with no second compile; without it (an older plugin) the second
 * compile is tried, and as that plugin writes no XLA dump either, the result is empty. Skips where g++ or
 * the JNI library is missing.
 */
class PjrtFakeOptimizedProgramTest {
  private static final String IDENTITY = """
      module @m {
        func.func public @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
          "func.return"(%arg0) : (tensor<4xf32>) -> ()
        }
      }
      """;

  /** What the plugin hands out: a module with one fusion that points back to a Java line. */
  static HloModuleProtoWithConfig module() {
    ShapeProto v = ShapeProto.newBuilder().setElementType(PrimitiveType.F32).addDimensions(4)
        .setLayout(LayoutProto.newBuilder().addMinorToMajor(0)).build();
    HloComputationProto fused = HloComputationProto.newBuilder().setId(1).setName("fused_negate").setRootId(11)
        .addInstructions(HloInstructionProto.newBuilder().setId(10).setName("param_0").setOpcode("parameter").setShape(v))
        .addInstructions(HloInstructionProto.newBuilder().setId(11).setName("negate.1").setOpcode("negate").setShape(v)
            .addOperandIds(10))
        .build();
    HloComputationProto entry = HloComputationProto.newBuilder().setId(2).setName("main.3").setRootId(21)
        .addInstructions(HloInstructionProto.newBuilder().setId(20).setName("Arg_0.1").setOpcode("parameter").setShape(v))
        .addInstructions(HloInstructionProto.newBuilder().setId(21).setName("negate_fusion").setOpcode("fusion").setShape(v)
            .addOperandIds(20).setFusionKind("kLoop").addCalledComputationIds(1)
            .setMetadata(OpMetadata.newBuilder().setOpName("blk/negate").setSourceFile("Fake.java").setSourceLine(7)))
        .build();
    return HloModuleProtoWithConfig.newBuilder()
        .setHloModule(HloModuleProto.newBuilder().setName("fake").setEntryComputationId(2).addComputations(fused)
            .addComputations(entry))
        .setConfig(HloModuleConfigProto.getDefaultInstance()).build();
  }

  /** The bytes as a C string literal of octal escapes (never greedy, unlike \x). */
  private static String cString(byte[] bytes) {
    StringBuilder b = new StringBuilder("\"");
    for (byte x : bytes) b.append(String.format("\\%03o", x & 0xff));
    return b.append('"').toString();
  }

  @Test
  void theOptimizedHloIsThePluginsProgramPrintedWithoutASecondCompile(@TempDir Path tmp) throws Exception {
    byte[] wire = module().toByteArray();
    Path plugin = PjrtFakePluginTest.build(tmp, "libfake_pjrt_hlo.so", "-DX4J_FAKE_HLO=" + cString(wire));
    try (PjrtBackend b = PjrtFakePluginTest.open(plugin);
         PjrtExecutable exe = b.compileUncached(IDENTITY, CompileOptions.defaults())) {
      PjrtExecutable.OptimizedProgram p = exe.optimizedProgram();
      assertEquals("hlo_with_config", p.format());
      assertArrayEquals(wire, p.code());
      String hlo = exe.optimizedHlo().orElseThrow();
      assertEquals(0, b.secondCompiles());
      List<String> lines = hlo.lines().toList();
      assertEquals(String.format(PjrtExecutable.FROM_PROGRAM, "hlo_with_config"), lines.get(0));
      assertEquals("HloModule fake", lines.get(1));
      assertEquals(HloText.print(wire), hlo.substring(lines.get(0).length() + 1));
      assertTrue(lines.contains("ENTRY %main.3 (Arg_0.1: f32[4]) -> f32[4] {"), hlo);
      assertTrue(lines.contains("  ROOT %negate_fusion = f32[4]{0} fusion(f32[4]{0} %Arg_0.1), kind=kLoop, "
          + "calls=%fused_negate, metadata={op_name=\"blk/negate\" source_file=\"Fake.java\" source_line=7}"), hlo);
      assertEquals(1, HloSummary.read(hlo).fusionsAt("Fake.java", 7).size());
      // the executable's dump carries it as stage 04, still without a second compile
      exe.dump(tmp.resolve("dump"));
      assertEquals(hlo, java.nio.file.Files.readString(tmp.resolve("dump/04-optimized-hlo.txt")));
      assertEquals(0, b.secondCompiles());
    }
  }

  @Test
  void unreadableBytesFallBackToTheSecondCompile(@TempDir Path tmp) throws Exception {
    Path plugin = PjrtFakePluginTest.build(tmp, "libfake_pjrt_bad.so", "-DX4J_FAKE_HLO=" + cString(new byte[] {(byte) 0xff, (byte) 0xff}));
    try (PjrtBackend b = PjrtFakePluginTest.open(plugin);
         PjrtExecutable exe = b.compileUncached(IDENTITY, CompileOptions.defaults())) {
      assertEquals(2, exe.optimizedProgram().code().length);
      assertTrue(exe.optimizedHlo().isEmpty()); // the test plugin writes no XLA dump either
      assertEquals(1, b.secondCompiles());
    }
  }

  @Test
  void withoutTheEntryTheSecondCompileIsTriedAndNoDumpMeansEmpty(@TempDir Path tmp) throws Exception {
    try (PjrtBackend b = PjrtFakePluginTest.open(PjrtFakePluginTest.build(tmp, "libfake_pjrt_short3.so", "-DX4J_FAKE_SHORT"));
         PjrtExecutable exe = b.compileUncached(IDENTITY, CompileOptions.defaults())) {
      assertTrue(exe.optimizedHlo().isEmpty());
      assertEquals(1, b.secondCompiles());
      List<Path> files = CompileDump.write(tmp.resolve("dump"), exe);
      assertTrue(java.nio.file.Files.readString(tmp.resolve("dump/04-optimized-hlo.txt")).startsWith("# not available"),
          files.toString());
    }
  }
}
