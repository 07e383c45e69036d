package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.models.checkpoint.LoadProgress;
import org.xla4j.models.generate.Completion;
import org.xla4j.models.generate.Generator;
import org.xla4j.models.generate.LanguageModel;
import org.xla4j.models.generate.SamplingParams;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.testsupport.StdStreams;

/**
 * {@code xla4j generate} on the tiny presets: streams the text, ends with the timing summary, says the
 * weights are random, writes --output as {"tokens": [[...]], "text": [...]} holding the generated tokens
 * the Java API gives for the same prompts, dumps its programs, and refuses bad arguments with exit code 2.
 */
class GenerateCommandTest {
  @Test
  void generatesFromTokenPromptsAndWritesJsonEqualToTheApi(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("out.json");
    int[] rc = new int[1];
    String[] out = new String[1];
    String err = StdStreams.err(() -> out[0] = StdStreams.out(() -> rc[0] = Main.run("generate", "--model", "tiny-grok",
        "--prompt-tokens", "72,108,108", "--prompt-tokens", "5,17,3,40,41", "--max-new-tokens", "5",
        "--output", json.toString(), "--dump", dir.resolve("dump").toString())));
    assertEquals(0, rc[0], err);
    assertTrue(err.contains("random weights"), err);
    assertTrue(out[0].contains("time to first token") && out[0].contains("decode") && out[0].contains("tokens/s"), out[0]);
    JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    JsonArray tokens = o.getAsJsonArray("tokens");
    assertEquals(2, tokens.size());
    assertEquals(2, o.getAsJsonArray("text").size());
    try (Backend cpu = Backends.open("cpu");
         LanguageModel lm = LanguageModel.load("tiny-grok", cpu, LoadProgress.NONE);
         Generator g = lm.generator(Generator.Options.defaults().withBatch(1).withMaxLength(64))) {
      List<Completion> want = g.generateTokens(List.of(new int[] {72, 108, 108}, new int[] {5, 17, 3, 40, 41}),
          SamplingParams.greedy(5));
      for (int i = 0; i < 2; i++) {
        int[] got = new int[tokens.get(i).getAsJsonArray().size()];
        for (int j = 0; j < got.length; j++) got[j] = tokens.get(i).getAsJsonArray().get(j).getAsInt();
        assertArrayEquals(want.get(i).tokens(), got, "prompt " + i + ": CLI tokens vs Generator");
        assertEquals(want.get(i).text(), o.getAsJsonArray("text").get(i).getAsString());
      }
    }
    assertTrue(Files.exists(dir.resolve("dump/decode/02-stablehlo.mlir")), "the decode program is dumped");
  }

  /**
   * A Hugging Face Llama directory (scripts/llama_reference.py's fixture: vocab 64, EOS 2 and 3, f32): the
   * CLI's greedy tokens equal the argmax of the full forward pass over prompt + generated tokens.
   */
  @Test
  void generatesFromACheckpointDirectory(@TempDir Path dir) throws Exception {
    Path model = Path.of(GenerateCommandTest.class.getResource("/llama/base/config.json").toURI()).getParent();
    Path json = dir.resolve("out.json");
    int[] rc = new int[1];
    String err = StdStreams.err(() -> StdStreams.out(() -> rc[0] = Main.run("generate", "--model", model.toString(),
        "--prompt-tokens", "5,17,9,30", "--max-new-tokens", "5", "--output", json.toString())));
    assertEquals(0, rc[0], err);
    JsonArray row = JsonParser.parseString(Files.readString(json)).getAsJsonObject().getAsJsonArray("tokens").get(0)
        .getAsJsonArray();
    int[] got = new int[row.size()];
    for (int j = 0; j < got.length; j++) got[j] = row.get(j).getAsInt();
    int[] prompt = {5, 17, 9, 30};
    int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + got.length - 1);
    System.arraycopy(got, 0, seq, prompt.length, got.length - 1);
    try (Backend cpu = Backends.open("cpu");
         org.xla4j.models.checkpoint.ModelDir m = org.xla4j.models.checkpoint.ModelDir.open(model)) {
      var w = org.xla4j.models.checkpoint.ModelDir.read(m.parameters(), LoadProgress.NONE);
      var lm = new org.xla4j.models.generate.CausalLm.LlamaLm(m.llamaConfig(), org.xla4j.models.llama.Llama.Options.defaults());
      int[] want = org.xla4j.generate.GenHarness.fullForwardArgmax(cpu, lm, w, seq, prompt.length);
      assertArrayEquals(want, got, "greedy tokens vs the full forward's argmax");
    }
    assertTrue(got.length == 5 || got[got.length - 1] == 2 || got[got.length - 1] == 3, "budget or EOS ends it");
  }

  /**
   * A Hugging Face Grok-1 directory (the tiny-grok preset's weights, written in that layout): the CLI's greedy
   * tokens equal the argmax of the full forward pass over the same weights.
   */
  @Test
  void generatesFromAGrokCheckpointDirectory(@TempDir Path dir) throws Exception {
    var c = LanguageModel.tinyGrokConfig();
    var w = org.xla4j.models.grok.Grok1RandomWeights.generate(c, 3);
    Path model = org.xla4j.generate.GenHarness.writeGrokHfDir(dir.resolve("grok"), c, w);
    Path json = dir.resolve("out.json");
    int[] rc = new int[1];
    String err = StdStreams.err(() -> StdStreams.out(() -> rc[0] = Main.run("generate", "--model", model.toString(),
        "--prompt-tokens", "70,80,90", "--max-new-tokens", "4", "--output", json.toString())));
    assertEquals(0, rc[0], err);
    JsonArray row = JsonParser.parseString(Files.readString(json)).getAsJsonObject().getAsJsonArray("tokens").get(0)
        .getAsJsonArray();
    int[] got = new int[row.size()];
    for (int j = 0; j < got.length; j++) got[j] = row.get(j).getAsInt();
    assertEquals(4, got.length, "no EOS for a checkpoint without a tokenizer: the budget ends it");
    int[] seq = {70, 80, 90, got[0], got[1], got[2]};
    try (Backend cpu = Backends.open("cpu")) {
      var lm = new org.xla4j.models.generate.CausalLm.Grok(c, org.xla4j.models.grok.Grok1.Options.defaults());
      int[] want = org.xla4j.generate.GenHarness.fullForwardArgmax(cpu, lm, org.xla4j.tree.Tree.of(w), seq, 3);
      assertArrayEquals(want, got, "greedy tokens vs the full forward's argmax");
    }
  }

  @Test
  void streamsTextOfOnePromptOnTinyLlama() {
    int[] rc = new int[1];
    String out = StdStreams.out(() -> rc[0] = Main.run("generate", "--model", "tiny-llama", "--prompt", "Hello",
        "--max-new-tokens", "4", "--quiet"));
    assertEquals(0, rc[0]);
    assertTrue(out.contains("load ") && out.contains("compile ") && out.contains("prefill "), out);
  }

  @Test
  void decodesOneTokenPerCallOnTheCpuByDefaultAndRefusesANegativeCount() {
    int[] rc = new int[2];
    String out = StdStreams.out(() -> rc[0] = Main.run("generate", "--model", "tiny-llama", "--prompt-tokens", "5,17,3",
        "--max-new-tokens", "4", "--quiet"));
    assertEquals(0, rc[0], out);
    assertTrue(out.contains("(1 tokens per row each)"), "the CPU's automatic tokens per call is 1: " + out);
    String err = StdStreams.err(() -> rc[1] = Main.run("generate", "--model", "tiny-llama", "--prompt-tokens", "5,17,3",
        "--tokens-per-call", "-1"));
    assertTrue(rc[1] != 0 && err.contains("--tokens-per-call") && err.contains("-1"), rc[1] + ": " + err);
  }

  @Test
  void refusesBadArgumentsWithUsageErrors() {
    String[] err = new String[3];
    int[] rc = new int[3];
    err[0] = StdStreams.err(() -> rc[0] = Main.run("generate", "--model", "tiny-grok", "--prompt", "a", "--prompt-tokens", "1"));
    err[1] = StdStreams.err(() -> rc[1] = Main.run("generate", "--model", "no-such-model", "--prompt", "a"));
    err[2] = StdStreams.err(() -> rc[2] = Main.run("generate", "--model", "tiny-grok", "--prompt-tokens", "1,x"));
    assertEquals(2, rc[0], err[0]);
    assertEquals(2, rc[1], err[1]);
    assertTrue(err[1].contains("no-such-model") && err[1].contains("tiny-grok"), err[1]);
    assertEquals(2, rc[2], err[2]);
    assertTrue(err[2].contains("'x' is not a token id"), err[2]);
  }
}
