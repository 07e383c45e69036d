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

/**
 * A model's forward program (parameters as arguments, no weights read), from a checkpoint directory or a preset:
 * only its {@link ModelConfig}, never {@link CliModel}, which would check or make weights.
 */
final class ModelGraphs {
  private ModelGraphs() {}

  /** The forward pass of {@code model} (a directory, or tiny-grok, tiny-llama, grok-1) on {@code [batch, seq]} tokens. */
  static Program forward(String model, int batch, int seq) {
    Path p = Path.of(model);
    if (Files.isDirectory(p)) {
      try (ModelDir d = ModelDir.open(p)) {
        return forward(ModelConfig.of(d), d.type() == ModelType.LLAMA ? "llama" : "grok1", batch, seq);
      }
    }
    ModelConfig c = ModelConfig.preset(model).orElseThrow(() -> new IllegalArgumentException("'" + model
        + "' is neither a model directory nor a preset " + ModelCommand.PRESETS));
    return forward(c, model.replace('-', '_'), batch, seq);
  }

  private static Program forward(ModelConfig c, String name, int batch, int seq) {
    Graph g = new Graph(name);
    return switch (c) {
      case ModelConfig.Grok(Grok1Config gc) ->
          g.program(Grok1.build(g, gc, batch, seq, Grok1.Options.defaults()).logits());
      case ModelConfig.Llama(LlamaConfig lc) ->
          g.program(Llama.build(g, lc, batch, seq, false, Llama.Options.defaults()));
    };
  }
}
