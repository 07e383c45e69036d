package org.xla4j.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.graph.HloSummary;
import org.xla4j.program.Program;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * On a real plugin (skipped without one): the optimized HLO comes from PJRT_Executable_OptimizedProgram,
 * printed by {@link HloText}, with no second compile; it keeps the fusions' provenance and agrees with
 * XLA's own dump (the second compile's text) on the fusion count.
 */
class PjrtOptimizedHloTest {
  private static PjrtBackend gpu;

  @BeforeAll
  static void open() { gpu = PjrtTestSupport.openOrSkip(); }

  @AfterAll
  static void close() {
    if (gpu != null) gpu.close();
  }

  /** softmax(x @ w) over the last axis, with locations (this file's lines) on every op. */
  private static Program matmulSoftmax() {
    Graph g = new Graph("matmul_softmax");
    Tensor x = g.parameter("x", TensorType.of(DType.F32, 32, 64));
    Tensor w = g.parameter("w", TensorType.of(DType.F32, 64, 128));
    Tensor y = g.scope("head", () -> x.matmul(w).softmax(-1));
    return g.program(y).withLocations(true);
  }

  @Test
  void optimizedHloComesFromTheProgramWithoutASecondCompile() {
    Program p = matmulSoftmax();
    try (PjrtExecutable exe = gpu.compileUncached(p, CompileOptions.defaults())) {
      PjrtExecutable.OptimizedProgram prog = exe.optimizedProgram();
      long before = gpu.secondCompiles();
      String hlo = exe.optimizedHlo().orElseThrow();
      assertEquals(before, gpu.secondCompiles(), "optimizedHlo() compiled again");
      String first = hlo.lines().findFirst().orElseThrow();
      assertEquals(String.format(PjrtExecutable.FROM_PROGRAM, prog.format()), first);
      assertTrue(hlo.contains("\nENTRY %"), hlo);
      List<String> fusions = hlo.lines().filter(l -> l.contains(" fusion(")).toList();
      assertFalse(fusions.isEmpty(), hlo);
      assertTrue(fusions.stream().anyMatch(l -> l.matches(".*source_file=\"([^\"]*/)?PjrtOptimizedHloTest\\.java\".*")),
          "no fusion points back to this file:\n" + hlo);

      // XLA's own text for the same executable (a second compile with its dump): the same fusions
      String xla = exe.secondCompileHlo().orElseThrow();
      assertEquals(before + 1, gpu.secondCompiles());
      HloSummary ours = HloSummary.read(hlo);
      HloSummary theirs = HloSummary.read(xla);
      System.out.printf("[hlo] format %s, %d bytes; printed %d lines, %d instructions, fusions %s, custom calls %s;"
              + " XLA's dump %d lines, %d instructions, fusions %s, custom calls %s%n", prog.format(), prog.code().length,
          hlo.lines().count(), ours.instructions(), ours.fusionsByKind(), ours.customCalls(), xla.lines().count(),
          theirs.instructions(), theirs.fusionsByKind(), theirs.customCalls());
      assertEquals(theirs.fusions().size(), ours.fusions().size(), "fusion count; ours:\n" + hlo + "\nXLA's:\n" + xla);
      assertEquals(theirs.fusionsByKind(), ours.fusionsByKind());
      assertEquals(theirs.customCalls(), ours.customCalls());
    }
  }

  @Test
  void aLoadedArtifactHasItsOptimizedHloToo() {
    try (PjrtExecutable exe = gpu.compileUncached(matmulSoftmax(), CompileOptions.defaults());
         PjrtExecutable loaded = gpu.load(org.xla4j.runtime.X4jArtifact.fromBytes(exe.toArtifact().toBytes()))) {
      long before = gpu.secondCompiles();
      String hlo = loaded.optimizedHlo().orElseThrow();
      assertEquals(before, gpu.secondCompiles());
      assertTrue(hlo.startsWith("// optimized HLO from PJRT_Executable_OptimizedProgram"), hlo);
      assertEquals(HloSummary.read(exe.optimizedHlo().orElseThrow()).fusions().size(), HloSummary.read(hlo).fusions().size());
    }
  }
}
