package org.xla4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.cli.TinyCheckpoints;
import org.xla4j.models.checkpoint.LoadProgress;
import org.xla4j.models.generate.Generator;
import org.xla4j.models.generate.LanguageModel;
import org.xla4j.models.generate.SamplingParams;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;

/**
 * {@link Generator.Options#quant()} / {@code generate --quant}: on the tiny int8 Grok-1 checkpoint, greedy generation
 * with the scales applied after each matmul (SCALE_AFTER) gives the tokens the full forward pass (no cache) under the
 * same mode implies at every step; its programs are not the default's (DEQUANTIZE); a model without int8 weights
 * (Llama, a bf16 Grok-1) refuses the option, from Java and from the CLI.
 */
class GenerateQuantTest {
  @TempDir
  Path tmp;

  @Test
  void scaleAfterGenerationFollowsTheFullForwardUnderTheSameMode() throws IOException {
    Path dir = TinyCheckpoints.grokHf(tmp.resolve("int8"), true);
    int[] prompt = {5, 17, 3, 9, 2};
    try (Backend cpu = Backends.open("cpu"); LanguageModel lm = LanguageModel.load(dir, cpu, LoadProgress.NONE)) {
      Generator.Options o = Generator.Options.defaults().withBatch(1).withMaxLength(32);
      String scaled;
      String plain;
      try (Generator gen = lm.generator(o.withQuant(QuantMode.SCALE_AFTER))) {
        int[] got = gen.generateTokens(List.of(new int[][] {prompt}), SamplingParams.greedy(6)).get(0).tokens();
        assertEquals(6, got.length);
        Tree<HostTensor> w = lm.parameters().map(DeviceBuffer::toHost);
        int[] seq = GenHarness.concat(prompt, GenHarness.list(got));
        int[] want = GenHarness.fullForwardArgmax(cpu, lm.model().withQuant(QuantMode.SCALE_AFTER), w, seq,
            prompt.length);
        assertArrayEquals(Arrays.copyOf(want, got.length), got, "cached SCALE_AFTER vs its full forward");
        scaled = dumped(gen, tmp.resolve("scaled"));
      }
      try (Generator gen = lm.generator(o)) {
        gen.generateTokens(List.of(new int[][] {prompt}), SamplingParams.greedy(2));
        plain = dumped(gen, tmp.resolve("plain"));
      }
      assertNotEquals(plain, scaled, "SCALE_AFTER changes the programs");
    }
  }

  @Test
  void aCheckpointWithoutInt8WeightsRefusesIt() {
    try (Backend cpu = Backends.open("cpu"); LanguageModel lm = LanguageModel.preset("tiny-llama", cpu)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> lm.generator(Generator.Options.defaults().withQuant(QuantMode.SCALE_AFTER)));
      assertTrue(e.getMessage().contains("no int8 weights"), e.getMessage());
    }
    try (Backend cpu = Backends.open("cpu"); LanguageModel lm = LanguageModel.preset("tiny-grok", cpu)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> lm.generator(Generator.Options.defaults().withQuant(QuantMode.SCALE_AFTER)));
      assertTrue(e.getMessage().contains("applies to int8 weights") && e.getMessage().contains("BF16"), e.getMessage());
    }
    TinyCheckpoints.Run r = TinyCheckpoints.cli(List.of("generate", "--model", "tiny-grok", "--prompt-tokens", "5,17",
        "--max-new-tokens", "2", "--quant", "scale-after"));
    assertNotEquals(0, r.rc());
    assertTrue(r.err().contains("--quant applies to int8 checkpoints"), r.err());
  }

  /** The prefill programs' dumped text. */
  private static String dumped(Generator gen, Path dir) throws IOException {
    StringBuilder b = new StringBuilder();
    for (Path f : gen.dump(dir)) {
      if (f.getParent().getFileName().toString().startsWith("prefill_") && Files.isRegularFile(f)) {
        b.append(Files.readString(f));
      }
    }
    assertTrue(b.length() > 0, "prefill dumps under " + dir);
    return b.toString();
  }
}
