package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.generate.GenHarness;
import org.xla4j.models.checkpoint.LoadProgress;
import org.xla4j.models.generate.Completion;
import org.xla4j.models.generate.Generator;
import org.xla4j.models.generate.LanguageModel;
import org.xla4j.models.generate.SamplingParams;
import org.xla4j.models.grok.Grok1RandomWeights;
import org.xla4j.runtime.Backend;
import org.xla4j.tree.Tree;

/**
 * Generation through PJRT (skipped without a plugin): tiny-grok's greedy tokens from the Generator (batch 2,
 * two prompts of different lengths, the cache donated every call, with and without the device loop) equal
 * the argmax of the full forward pass on the same backend at every step.
 */
class GenerateBackendTest {
  @Test
  void greedyGenerationOnPjrtEqualsTheFullForward() {
    Backend b = BackendUnderTest.pjrtOrSkip();
    int[][] prompts = {{72, 101, 108, 108, 111}, {5, 17, 3}};
    try (LanguageModel lm = LanguageModel.load("tiny-grok", b, LoadProgress.NONE)) {
      var w = Tree.of(Grok1RandomWeights.generate(LanguageModel.tinyGrokConfig(), LanguageModel.PRESET_SEED));
      for (int perCall : new int[] {1, 4}) {
        List<Completion> out;
        try (Generator g = lm.generator(Generator.Options.defaults().withBatch(2).withMaxLength(64)
            .withTokensPerCall(perCall))) {
          out = g.generateTokens(List.of(prompts), SamplingParams.greedy(8));
        }
        for (int i = 0; i < prompts.length; i++) {
          int[] got = out.get(i).tokens();
          int[] seq = java.util.Arrays.copyOf(prompts[i], prompts[i].length + got.length - 1);
          System.arraycopy(got, 0, seq, prompts[i].length, got.length - 1);
          assertArrayEquals(GenHarness.fullForwardArgmax(b, lm.model(), w, seq, prompts[i].length), got,
              "prompt " + i + ", " + perCall + " token(s) per call");
        }
      }
    }
  }
}
