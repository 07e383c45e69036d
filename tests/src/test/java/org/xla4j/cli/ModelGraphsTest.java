package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.program.Program;

/**
 * {@code graph --model}'s programs come from the config alone ({@link ModelConfig}, not {@link CliModel}): each
 * preset and each kind of model directory still gives its forward pass under its own name, with the model's
 * parameters and the tokens as arguments; an unknown name says what it takes.
 */
class ModelGraphsTest {
  @TempDir
  Path tmp;

  @Test
  void presetsAndDirectoriesGiveTheirForwardPass() throws Exception {
    assertForward("tiny_grok", ModelConfig.preset("tiny-grok").orElseThrow(), ModelGraphs.forward("tiny-grok", 2, 4));
    assertForward("tiny_llama", ModelConfig.preset("tiny-llama").orElseThrow(), ModelGraphs.forward("tiny-llama", 2, 4));
    Path llama = TinyCheckpoints.llama("base");
    Program fromDir = ModelGraphs.forward(llama.toString(), 1, 3);
    try (var d = org.xla4j.models.checkpoint.ModelDir.open(llama)) {
      assertForward("llama", ModelConfig.of(d), fromDir);
    }
    Path grok = TinyCheckpoints.grokHf(tmp.resolve("grok"), false);
    try (var d = org.xla4j.models.checkpoint.ModelDir.open(grok)) {
      assertForward("grok1", ModelConfig.of(d), ModelGraphs.forward(grok.toString(), 1, 3));
    }
  }

  @Test
  void anUnknownNameListsThePresets() {
    var e = assertThrows(IllegalArgumentException.class, () -> ModelGraphs.forward("no-such-model", 1, 1));
    assertEquals("'no-such-model' is neither a model directory nor a preset [tiny-llama, tiny-grok, grok-1]",
        e.getMessage());
  }

  /** The program's name, and its arguments: every parameter of the config, then the token ids. */
  private static void assertForward(String name, ModelConfig c, Program p) {
    assertEquals(name, p.name());
    assertEquals(c.parameterTypes().size() + 1, p.signature().args().size(), name + ": " + p.signature().args());
  }
}
