package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.types.DType;

/**
 * {@code xla4j exec} on modules exported by JAX 0.11.2 on the GPU machine (scripts/jax_export_examples.py),
 * in both the pretty ({@code as_text()}) and the generic op form, against the outputs JAX computed.
 * Tolerances: f32 results 1e-5 absolute (softmax/tanh of O(1) values, different CPU vs GPU kernels);
 * bf16 results one bf16 ulp at magnitude 2 (2^-6); integer results exact.
 */
class JaxExportedModulesTest {
  private static final Path RES = Path.of("src/test/resources/jax");

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"mlp_softmax.mlir", "mlp_softmax.generic.mlir", "loop_topk.mlir", "loop_topk.generic.mlir"})
  void execMatchesJax(String file) throws Exception {
    String name = file.substring(0, file.indexOf('.'));
    Path in = RES.resolve(name + ".in.safetensors");
    Path out = tmp.resolve("out.safetensors");
    Map<String, HostTensor> inputs = Safetensors.read(in);
    String[] args = new String[2 + 2 * inputs.size() + 2];
    int k = 0;
    args[k++] = "exec";
    args[k++] = RES.resolve(file).toString();
    for (String n : inputs.keySet()) {
      args[k++] = "--input";
      args[k++] = n + "=" + in + "#" + n;
    }
    args[k++] = "--output";
    args[k] = out.toString();
    assertEquals(0, Main.run(args));
    Map<String, HostTensor> want = Safetensors.read(RES.resolve(name + ".expected.safetensors"));
    Map<String, HostTensor> got = Safetensors.read(out);
    assertEquals(want.keySet(), got.keySet());
    for (String n : want.keySet()) {
      HostTensor w = want.get(n);
      HostTensor g = got.get(n);
      assertEquals(w.type(), g.type(), n);
      double tol = switch (w.dtype()) {
        case F32 -> 1e-5;
        case BF16 -> 1.0 / 64;
        default -> 0;
      };
      if (w.dtype() == DType.I32) {
        assertEquals(java.util.Arrays.toString(w.toIntArray()), java.util.Arrays.toString(g.toIntArray()), n);
        continue;
      }
      float[] a = w.toFloatArray();
      float[] b = g.toFloatArray();
      for (int i = 0; i < a.length; i++) {
        assertTrue(Math.abs(a[i] - b[i]) <= tol, n + "[" + i + "]: jax " + a[i] + " vs xla4j " + b[i] + " (tol " + tol + ")");
      }
    }
  }

  @Test
  void malformedModuleGivesXlaDiagnostic() throws Exception {
    Path bad = tmp.resolve("bad.mlir");
    Files.writeString(bad, Files.readString(RES.resolve("mlp_softmax.mlir")).replace("stablehlo.tanh", "stablehlo.tanhh"));
    Path in = RES.resolve("mlp_softmax.in.safetensors");
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      rc = Main.run("exec", bad.toString(), "--input", "x=" + in + "#a0", "--input", "w=" + in + "#a1",
          "--input", "b=" + in + "#a2");
    } finally {
      System.setErr(old);
    }
    String msg = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, rc, msg);
    assertTrue(msg.contains("stablehlo.tanhh"), msg);
  }

  @Test
  void wrongInputShapeIsAUsageError() {
    Path in = RES.resolve("mlp_softmax.in.safetensors");
    // stderr captured: the expected error is checked, not printed among the test output like a failure
    CliUsageErrorsTest.Result r = CliUsageErrorsTest.run("exec", RES.resolve("mlp_softmax.mlir").toString(),
        "--input", "x=" + in + "#a1", "--input", "w=" + in + "#a1", "--input", "b=" + in + "#a2");
    assertEquals(2, r.rc(), r.err());
    assertTrue(r.err().contains("--input x (argument 0): @main requires"), r.err());
  }
}
