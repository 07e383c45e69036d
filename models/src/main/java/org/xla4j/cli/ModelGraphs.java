package org.xla4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.xla4j.dsl.Graph;
import org.xla4j.models.checkpoint.ModelDir;
import org.xla4j.models.checkpoint.ModelType;
import org.xla4j.models.grok.Grok1;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.llama.Llama;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.program.Program;

/** A model's forward program (parameters as arguments, no weights read), from a checkpoint directory or a preset. */
final class ModelGraphs {
  private ModelGraphs() {}

  /** The forward pass of {@code model} (a directory, or tiny-grok, tiny-llama, grok-1) on {@code [batch, seq]} tokens. */
  static Program forward(String model, int batch, int seq) {
    boolean dir = Files.isDirectory(Path.of(model));
    if (!dir) {
      return switch (model) {
        case "tiny-grok" -> grok(Grok1Config.tiny(), "tiny_grok", batch, seq);
        case "grok-1" -> grok(Grok1Config.full(), "grok_1", batch, seq);
        case "tiny-llama" -> llama(LlamaConfig.tiny(), "tiny_llama", batch, seq);
        default -> throw new IllegalArgumentException("'" + model + "' is neither a model directory nor a preset "
            + ModelCommand.PRESETS);
      };
    }
    try (ModelDir d = ModelDir.open(Path.of(model))) {
      return d.type() == ModelType.LLAMA ? llama(d.llamaConfig(), "llama", batch, seq)
          : grok(d.grok1Config(), "grok1", batch, seq);
    }
  }

  private static Program grok(Grok1Config c, String name, int batch, int seq) {
    Graph g = new Graph(name);
    return g.program(Grok1.build(g, c, batch, seq, Grok1.Options.defaults()).logits());
  }

  private static Program llama(LlamaConfig c, String name, int batch, int seq) {
    Graph g = new Graph(name);
    return g.program(Llama.build(g, c, batch, seq, false, Llama.Options.defaults()));
  }
}
