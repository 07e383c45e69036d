package org.xla4j.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.testsupport.StdStreams;
import org.xla4j.cli.Main;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.types.DType;

/** {@code xla4j attention run|compare} end to end on the CPU backend. */
class AttentionCommandTest {
  @TempDir
  Path dir;

  @Test
  void runWritesTheOracleOutput() throws Exception {
    Random r = new Random(4);
    HostTensor q = AttentionHarness.random(r, DType.F32, 1, 10, 4, 8);
    HostTensor k = AttentionHarness.random(r, DType.F32, 1, 10, 2, 8);
    HostTensor v = AttentionHarness.random(r, DType.F32, 1, 10, 2, 8);
    Path qf = dir.resolve("q.safetensors");
    Path kvf = dir.resolve("kv.safetensors");
    Safetensors.write(qf, Map.of("q", q));
    Safetensors.write(kvf, Map.of("key", k, "value", v));
    Path out = dir.resolve("out.safetensors");
    int rc = Main.run("attention", "run", "--mechanism", "BLOCKWISE", "--causal", "--chunk-q", "4", "--chunk-k", "3",
        "--input", "q=" + qf + ",k=" + kvf + "#key,v=" + kvf + "#value", "--output", out.toString());
    assertEquals(0, rc);
    AttentionOracle o = new AttentionOracle(1, 10, 10, 4, 2, 8, 8);
    o.causal = true;
    AttentionHarness.assertClose("attention run", o.run(q.toFloatArray(), k.toFloatArray(), v.toFloatArray()),
        Safetensors.read(out, "out"), 1e-5, 1e-4);
    // a usage error names what is missing
    String err = StdStreams.err(() -> assertEquals(2, Main.run("attention", "run", "--mechanism", "VANILLA", "--input",
        "q=" + qf, "--output", out.toString())));
    assertTrue(err.contains("missing k"), err);
  }

  @Test
  void compareListsEveryMechanismWithErrors() {
    String text = StdStreams.out(() -> assertEquals(0, Main.run("attention", "compare", "--batch", "1", "--seq", "40",
        "--heads", "4", "--kv-heads", "2", "--head-dim", "16", "--dtype", "bf16", "--causal", "--chunk-q", "16",
        "--chunk-k", "12", "--runs", "1", "--iters", "1")));
    for (String m : new String[] {"VANILLA", "BLOCKWISE", "DECODE", "CUDNN"}) assertTrue(text.contains(m), text);
    assertTrue(text.contains("needs a CUDA GPU backend"), text);
    // every error figure is small (bf16 inputs, f32 reference)
    for (String line : text.split("\n")) {
      if (line.startsWith("VANILLA") || line.startsWith("BLOCKWISE") || line.startsWith("DECODE")) {
        double err = Double.parseDouble(line.trim().split("\\s+")[1]);
        assertTrue(err < 2e-2, line);
      }
    }
    assertTrue(Files.exists(dir));
  }

  @Test
  void compareGradShowsTheGradientTableAndVanillaPasses() {
    String text = StdStreams.out(() -> assertEquals(0, Main.run("attention", "compare", "--grad", "--batch", "1", "--seq",
        "24", "--heads", "4", "--kv-heads", "2", "--head-dim", "8", "--causal", "--chunk-q", "8", "--chunk-k", "8",
        "--runs", "1", "--iters", "1")));
    assertTrue(text.contains("gradients of sum(out * ct)"), text);
    assertTrue(text.contains("BLOCKWISE's backward: its own blockwise VJP, block 8 (causal blocks skipped)"), text);
    String vanilla = null;
    String blockwise = null;
    String grads = text.substring(text.indexOf("gradients of"));
    for (String line : grads.split("\n")) {
      if (line.startsWith("VANILLA") && line.contains("PASS")) vanilla = line;
      if (line.startsWith("BLOCKWISE") && line.contains("PASS")) blockwise = line; // through its own blockwise backward
      if (line.startsWith("CUDNN")) assertTrue(line.contains("not on cpu"), line);
    }
    assertTrue(vanilla != null && blockwise != null, text);
    // f32 VANILLA against the f32 VANILLA reference: the same program, so every difference is 0
    String[] cols = vanilla.trim().split("\\s+");
    for (int i = 1; i <= 6; i++) assertEquals(0.0, Double.parseDouble(cols[i]), 1e-6, vanilla);
    assertTrue(text.contains("CUDNN"), text);
  }
}
