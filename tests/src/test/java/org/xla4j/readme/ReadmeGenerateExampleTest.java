package org.xla4j.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.models.checkpoint.LoadProgress;
import org.xla4j.models.generate.Completion;
import org.xla4j.models.generate.Generator;
import org.xla4j.models.generate.LanguageModel;
import org.xla4j.models.generate.SamplingParams;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;

/** README's generation example: the code between the markers is what README shows, and it runs. */
class ReadmeGenerateExampleTest {
  @Test
  void theGenerationExampleRuns() {
    List<Completion> kept;
    // README generate example begins
    try (Backend cpu = Backends.open("cpu");
         LanguageModel lm = LanguageModel.load("tiny-grok", cpu, LoadProgress.NONE);   // or a checkpoint directory
         Generator gen = lm.generator(Generator.Options.defaults().withBatch(4))) {
      List<Completion> out = gen.generate(List.of("Hello", "The answer is"), SamplingParams.greedy(16));
      gen.generate(List.of("Once"), SamplingParams.greedy(16), e -> System.out.print(e.text()));   // streaming
    // README generate example ends
      kept = out;
    }
    assertEquals(2, kept.size());
    for (Completion c : kept) assertTrue(c.tokens().length >= 1 && c.tokens().length <= 16, "tokens " + c.tokens().length);
  }

  @Test
  void readmeShowsTheExampleVerbatim() throws IOException {
    List<String> src = Files.readAllLines(Path.of("src/test/java/org/xla4j/readme/ReadmeGenerateExampleTest.java"));
    int from = src.indexOf("    // README generate example begins") + 1;
    int to = src.indexOf("    // README generate example ends");
    String readme = Files.readString(ReadmeExampleTest.README);
    assertTrue(to > from);
    for (String line : src.subList(from, to)) {
      String l = line.length() >= 4 ? line.substring(4) : line.strip();
      assertTrue(readme.contains(l), "README.md lacks the example line: " + l);
    }
  }
}
