package org.xla4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.generate.Completion;
import org.xla4j.models.generate.Generator;
import org.xla4j.models.generate.LanguageModel;
import org.xla4j.models.generate.SamplingParams;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;

/**
 * {@link Generator.Options#prefillAttention()}: prefill programs with BLOCKWISE attention (causal block pairs over the
 * prompt, the padding of shorter rows hidden by the causal order) give the greedy tokens VANILLA's give, for Grok-1
 * (logit soft-cap) and Llama, rows of different lengths in one batch; the decode steps keep the model's mechanism.
 */
class PrefillAttentionTest {
  /** Every dumped file under a folder whose name starts with {@code prefix}, concatenated. */
  static String text(List<Path> files, String prefix) throws IOException {
    StringBuilder b = new StringBuilder();
    for (Path f : files) {
      if (f.getParent().getFileName().toString().startsWith(prefix) && Files.isRegularFile(f)) {
        b.append(Files.readString(f));
      }
    }
    assertTrue(b.length() > 0, "dumped files under " + prefix + "*: " + files);
    return b.toString();
  }

  @Test
  void blockwisePrefillGivesVanillasTokens() throws IOException {
    int[][] prompts = {{72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 7, 9, 11, 13, 15, 17, 19},
        {5, 17, 3}, {9, 2, 40, 41, 42, 43, 44}};
    try (Backend cpu = Backends.open("cpu")) {
      for (String preset : List.of("tiny-grok", "tiny-llama")) {
        try (LanguageModel lm = LanguageModel.preset(preset, cpu)) {
          Generator.Options o = Generator.Options.defaults().withBatch(3).withMaxLength(64);
          try (Generator plain = lm.generator(o);
               Generator blockwise = lm.generator(o.withPrefillAttention(Mechanism.BLOCKWISE))) {
            List<Completion> want = plain.generateTokens(List.of(prompts), SamplingParams.greedy(6));
            List<Completion> got = blockwise.generateTokens(List.of(prompts), SamplingParams.greedy(6));
            for (int i = 0; i < prompts.length; i++) {
              assertTrue(want.get(i).tokens().length == 6, preset + " prompt " + i + " generated 6 tokens");
              assertArrayEquals(want.get(i).tokens(), got.get(i).tokens(), preset + " prompt " + i);
            }
            // the prefill programs attend blockwise (their named scopes), the decode programs as the model does
            Path dir = Files.createTempDirectory("prefill-attention");
            String prefill = text(blockwise.dump(dir), "prefill_");
            String decode = text(blockwise.dump(dir), "decode");
            assertTrue(prefill.contains("attention_blockwise") && !prefill.contains("attention_vanilla"), preset);
            assertTrue(decode.contains("attention_vanilla") && !decode.contains("attention_blockwise"), preset);
          }
        }
      }
    }
  }
}
