package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.CompileDump;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.FailureBundle;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Dump bundles and failure bundles on every backend; located text (NameLoc around FileLineColLoc)
 * compiled and run. Oracle: plain Java loops; f32 tolerance 1e-5 (tanh of sums of 8 products of O(1) values).
 */
class DumpBundleTest {
  @TempDir Path tmp;

  static List<String> specs() { return BackendUnderTest.specs(); }

  /** y = tanh(x @ w), built under scopes layer0/mlp. */
  static Program mlp() {
    Graph g = new Graph("mlp");
    Tensor x = g.parameter("x", TensorType.of(DType.F32, 2, 3));
    Tensor w = g.parameter("layer0/w", TensorType.of(DType.F32, 3, 4));
    Tensor y = g.scope("layer0", () -> g.scope("mlp", () -> x.matmul(w).tanh()));
    return g.program(y);
  }

  @ParameterizedTest
  @MethodSource("specs")
  void locatedTextCompilesAndRunsAndTheBundleHasEveryStage(String spec) throws Exception {
    Backend b = BackendUnderTest.openOrSkip(spec);
    Program p = mlp().withLocations(true);
    assertTrue(p.text().contains("loc(\"layer0/mlp/dot_general\"(\"DumpBundleTest.java\":"), p.text());
    float[] x = {1, -2, 0.5f, 0.25f, 3, -1};
    float[] w = {0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f, 0.7f, 0.8f, -0.9f, 1.0f, 0.0f, 0.3f};
    Path dir = tmp.resolve("bundle");
    try (Executable exe = b.compile(p, CompileOptions.defaults())) {
      float[] got = exe.execute(HostTensor.of(x, 2, 3), HostTensor.of(w, 3, 4)).get(0).toFloatArray();
      for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 4; j++) {
          double s = 0;
          for (int k = 0; k < 3; k++) s += x[i * 3 + k] * w[k * 4 + j];
          assertEquals(Math.tanh(s), got[i * 4 + j], 1e-5);
        }
      }
      List<Path> files = CompileDump.write(dir, p, CompileOptions.defaults(), exe);
      assertEquals(List.of("01-program.txt", "02-stablehlo-locations.mlir", "02-stablehlo.mlir", "03-compile-options.txt",
          "04-optimized-hlo.txt", "05-cost-and-memory.txt", "06-graph.dot", "06-graph.html"),
          files.stream().map(f -> f.getFileName().toString()).toList());
    }
    String opts = Files.readString(dir.resolve("03-compile-options.txt"));
    assertTrue(opts.contains("platform: " + b.platformName()), opts);
    assertTrue(opts.contains("compile-cache key"), opts);
    String costs = Files.readString(dir.resolve("05-cost-and-memory.txt"));
    assertTrue(costs.contains("FLOPs " + (2 * 2 * 4 * 3 + 8)), costs); // dot 2·M·N·K plus one per tanh element
    String hlo = Files.readString(dir.resolve("04-optimized-hlo.txt"));
    if (spec.equals("cpu")) assertTrue(hlo.contains("XLA_FLAGS=--xla_dump_to"), hlo);
    else {
      // provenance survives into the optimized HLO: older XLA writes source_file= in each op's metadata,
      // newer XLA (jax 0.11.2's plugin) a stack-frame table (FileNames / FunctionNames) that ops point into
      // with stack_frame_id; either way the op name, our file and the op's frame must be there
      assertTrue(hlo.contains("op_name=\"layer0/mlp/dot_general\""), hlo);
      boolean inline = hlo.contains("source_file=\"DumpBundleTest.java\"");
      boolean frames = hlo.contains("FileNames") && hlo.contains("\"DumpBundleTest.java\"") && hlo.contains("stack_frame_id=");
      assertTrue(inline || frames, hlo);
    }
  }

  @Test
  void aModuleThatFailsToCompileLeavesAReplayableBundle() throws Exception {
    Backend b = BackendUnderTest.openOrSkip("cpu");
    String text = """
        module @bad {
          func.func public @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
            %0 = "stablehlo.add"(%arg0, %arg0) : (tensor<4xf32>, tensor<4xf32>) -> tensor<5xf32>
            "func.return"(%0) : (tensor<4xf32>) -> ()
          }
        }
        """;
    RuntimeException e = assertThrows(RuntimeException.class, () -> b.compile(text, CompileOptions.defaults()));
    FailureBundle.Failure f = FailureBundle.write(tmp, "compile", text, CompileOptions.defaults(),
        List.of(TensorType.of(DType.F32, 4)), null, e);
    assertTrue(f.getMessage().startsWith(e.getMessage()), f.getMessage());
    assertTrue(f.getMessage().contains("failure bundle: " + f.bundle()), f.getMessage());
    assertTrue(f.getMessage().contains("replay: xla4j exec " + f.bundle().resolve("module.mlir")), f.getMessage());
    assertEquals(text, Files.readString(f.bundle().resolve("module.mlir")));
    assertEquals("arg0 tensor<4xf32>\n", Files.readString(f.bundle().resolve("inputs.txt")));
    assertTrue(Files.readString(f.bundle().resolve("error.txt")).contains("tensor<5xf32>"),
        Files.readString(f.bundle().resolve("error.txt")));
    assertFalse(Files.exists(f.bundle().resolve("inputs.safetensors")));
  }

  @Test
  void aRunFailureSavesTheInputsUnderTheLimitOnly() throws Exception {
    Backend b = BackendUnderTest.openOrSkip("cpu");
    Program p = mlp();
    HostTensor x = HostTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    HostTensor wrong = HostTensor.of(new float[] {1, 2, 3}, 3); // w must be 3x4
    try (Executable exe = b.compile(p)) {
      RuntimeException e = assertThrows(RuntimeException.class, () -> exe.execute(x, wrong));
      FailureBundle.Failure f = FailureBundle.write(tmp, "run", p.text(), CompileOptions.defaults(),
          exe.signature().args(), List.of(x, wrong), e);
      Map<String, HostTensor> saved = Safetensors.read(f.bundle().resolve("inputs.safetensors"));
      assertEquals(List.of(1f, 2f, 3f, 4f, 5f, 6f), boxed(saved.get("arg0").toFloatArray()));
      assertEquals(TensorType.of(DType.F32, 3), saved.get("arg1").type());
      assertTrue(f.getMessage().contains("--input arg1=" + f.bundle().resolve("inputs.safetensors")), f.getMessage());
      System.setProperty("xla4j.failure.maxInputBytes", "8");
      try {
        FailureBundle.Failure big = FailureBundle.write(tmp, "run", p.text(), CompileOptions.defaults(),
            exe.signature().args(), List.of(x, wrong), e);
        assertFalse(Files.exists(big.bundle().resolve("inputs.safetensors")));
        assertTrue(big.getMessage().contains("inputs not saved: 36 bytes is over the limit of 8"), big.getMessage());
      } finally {
        System.clearProperty("xla4j.failure.maxInputBytes");
      }
    }
  }

  private static List<Float> boxed(float[] a) {
    java.util.List<Float> out = new java.util.ArrayList<>();
    for (float v : a) out.add(v);
    return out;
  }
}
