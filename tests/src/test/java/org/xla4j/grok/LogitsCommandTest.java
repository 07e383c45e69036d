package org.xla4j.grok;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.cli.Main;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.testsupport.StdStreams;
import org.xla4j.types.Shape;

/** {@code xla4j logits --model tiny-grok}: shape, determinism per seed, agreement of MoE implementations, usage errors. */
class LogitsCommandTest {
  @TempDir Path tmp;

  @Test
  void writesLogitsOfTheBatchAndImplementationsAgree() throws Exception {
    Path dense = tmp.resolve("dense.safetensors");
    Path dropless = tmp.resolve("dropless.safetensors");
    assertEquals(0, Main.run("logits", "--model", "tiny-grok", "--tokens", "5,17,3", "--tokens", "9,2,0",
        "--output", dense.toString()));
    assertEquals(0, Main.run("logits", "--model", "tiny-grok", "--tokens", "5,17,3", "--tokens", "9,2,0",
        "--moe", "dropless", "--mechanism", "blockwise", "--output", dropless.toString()));
    HostTensor a = Safetensors.read(dense, "logits");
    HostTensor b = Safetensors.read(dropless, "logits");
    assertEquals(Shape.of(2, 3, 128), a.shape());
    float[] x = a.toFloatArray();
    for (float v : x) assertTrue(Float.isFinite(v), "finite logits");
    assertTrue(GrokHarness.maxDiff(x, new float[x.length], null) > 0.1, "logits are not trivially zero");
    // same weights (seed 0), another MoE and attention implementation: equal within the bf16 tolerance
    GrokHarness.assertClose("dropless/blockwise vs dense/vanilla", x, b.toFloatArray(), null, 0.3, 0.02);
  }

  @Test
  void usageErrorsExitWithTwo() {
    Path out = tmp.resolve("x.safetensors");
    assertUsageError("must have one length", "logits", "--model", "tiny-grok", "--tokens", "1,2", "--tokens", "3", "--output",
        out.toString());
    assertUsageError("id 999 is outside", "logits", "--model", "tiny-grok", "--tokens", "1,999", "--output", out.toString());
    assertUsageError("neither a model directory nor a preset", "logits", "--model", "huge", "--tokens", "1", "--output",
        out.toString());
    assertUsageError("--moe 'magic' is not one of", "logits", "--model", "tiny-grok", "--tokens", "1", "--moe", "magic",
        "--output", out.toString());
  }

  private static void assertUsageError(String says, String... args) {
    int[] rc = new int[1];
    String err = StdStreams.err(() -> rc[0] = Main.run(args));
    assertEquals(2, rc[0], err);
    assertTrue(err.contains(says), err);
  }
}
