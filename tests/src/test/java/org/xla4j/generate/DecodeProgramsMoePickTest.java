package org.xla4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.xla4j.models.generate.CausalLm;
import org.xla4j.models.generate.Completion;
import org.xla4j.models.generate.DecodePrograms;
import org.xla4j.models.generate.ExpertStorage;
import org.xla4j.models.generate.Generator;
import org.xla4j.models.generate.LanguageModel;
import org.xla4j.models.generate.SamplingParams;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.moe.MoeAutoTable;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.program.Program;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Platform;

/**
 * Generation's programs each get the MoE AUTO pick for their own token count on the backend's platform: decode
 * N = batch, prefill N = rows · bucket. Read from the program text: {@code Moe.apply} opens a scope named after the
 * implementation that ran ({@code moe_few_tokens/...}), so the text shows which one each program holds.
 */
class DecodeProgramsMoePickTest {
  /** Grok-1's expert layout (8 experts top-2) at a size whose programs print quickly. */
  static final Grok1Config CONFIG = Grok1Config.tiny().toBuilder().experts(8, 2).contextLength(1024).build();

  @Test
  void eachCudaProgramHoldsTheTablesPickForItsTokens() {
    CausalLm lm = new CausalLm.Grok(CONFIG, LanguageModel.grokOptions("cuda"));
    // batch 1 decode: 2 copies over 8 experts -> FEW_TOKENS; batch 16: 4 per expert -> DENSE;
    // prefill of 1 row x 128 tokens: 32 per expert -> DROPLESS; x 512 tokens: 128 per expert -> CAPACITY_CHECKED
    check(new DecodePrograms(lm, 1, 1024).decode(), 1, MoeImplementation.FEW_TOKENS);
    check(new DecodePrograms(lm, 1, 1024).decodeLoop(2), 1, MoeImplementation.FEW_TOKENS);
    check(new DecodePrograms(lm, 16, 64).decode(), 16, MoeImplementation.DENSE);
    check(new DecodePrograms(lm, 1, 1024).prefill(128), 128, MoeImplementation.DROPLESS);
    check(new DecodePrograms(lm, 1, 1024).prefill(512), 512, MoeImplementation.CAPACITY_CHECKED);
    check(new DecodePrograms(lm, 2, 1024).prefillRow(512), 512, MoeImplementation.CAPACITY_CHECKED);
  }

  @Test
  void languageModelsEvaluateMoeForTheirBackendsPlatform() {
    try (Backend cpu = Backends.open("cpu");
         LanguageModel lm = LanguageModel.load("tiny-grok", cpu, org.xla4j.models.checkpoint.LoadProgress.NONE)) {
      CausalLm.Grok g = (CausalLm.Grok) lm.model();
      assertEquals("cpu", g.options().moe().platform());
      assertEquals(MoeImplementation.AUTO, g.options().moe().implementation());
      assertFalse(g.expertsMinor(), "on a CPU the experts stay as the tree has them");
      assertEquals(ExpertStorage.AS_TREE, ExpertStorage.forPlatform(Platform.CPU));
      assertEquals(ExpertStorage.CONTRACTION_MINOR, ExpertStorage.forPlatform(Platform.CUDA));
    }
  }

  /**
   * CONTRACTION_MINOR (the GPUs' default), forced on the CPU: the experts as stored on the device are [E, out, in],
   * everything else as the tree has it, and greedy generation (bf16 tiny-grok, batched rows, one and several tokens per
   * call) gives the tokens the tree's layout gives.
   */
  @Test
  void expertsStoredContractionMinorGenerateTheSameTokens() {
    int[][] prompts = {{72, 101, 108, 108, 111}, {5, 17, 3}};
    try (Backend cpu = Backends.open("cpu");
         LanguageModel plain = LanguageModel.preset("tiny-grok", cpu, ExpertStorage.AS_TREE);
         LanguageModel lm = LanguageModel.preset("tiny-grok", cpu, ExpertStorage.CONTRACTION_MINOR)) {
      CausalLm.Grok g = (CausalLm.Grok) lm.model();
      assertTrue(g.expertsMinor());
      var logical = LanguageModel.tinyGrokConfig().parameterTypes();
      int experts = 0;
      for (String path : logical.paths()) {
        long[] want = logical.get(path).shape().dims();
        long[] got = lm.parameters().get(path).type().shape().dims();
        if (path.matches(".*moe/(linear|linear_v|linear_1)/w")) {
          experts++;
          assertArrayEquals(new long[] {want[0], want[2], want[1]}, got, path);
        } else {
          assertArrayEquals(want, got, path);
        }
      }
      assertEquals(3 * logical.paths().stream().filter(x -> x.endsWith("moe/linear/w")).count(), experts);
      assertTrue(experts > 0);
      for (int perCall : new int[] {1, 3}) {
        Generator.Options o = Generator.Options.defaults().withBatch(2).withMaxLength(64).withTokensPerCall(perCall);
        try (Generator a = plain.generator(o); Generator b = lm.generator(o)) {
          List<Completion> want = a.generateTokens(List.of(prompts), SamplingParams.greedy(8));
          List<Completion> got = b.generateTokens(List.of(prompts), SamplingParams.greedy(8));
          for (int i = 0; i < prompts.length; i++) {
            assertArrayEquals(want.get(i).tokens(), got.get(i).tokens(), "prompt " + i + ", " + perCall + " per call");
          }
        }
      }
    }
  }

  private static void check(Program p, long tokens, MoeImplementation want) {
    assertEquals(want, MoeAutoTable.choose("cuda", tokens, CONFIG.embeddingSize(), CONFIG.ffnSize(), 8, 2)
        .implementation(), "the table's pick for N " + tokens);
    String text = p.withLocations(true).text();
    for (MoeImplementation m : MoeImplementation.values()) {
      String scope = "moe_" + m.name().toLowerCase(Locale.ROOT) + "/";
      assertEquals(m == want, text.contains(scope), p.name() + ": scope " + scope);
    }
    assertTrue(text.contains("decoder_layer_1/moe_" + want.name().toLowerCase(Locale.ROOT)), p.name() + ": every layer");
  }
}
