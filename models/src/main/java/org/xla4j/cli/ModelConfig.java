package org.xla4j.cli;

import java.util.Optional;
import org.xla4j.models.checkpoint.ModelDir;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.grok.WeightFormat;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * The configuration of a model a CLI {@code --model} names, without its weights: from a preset or from a model
 * directory's config. {@code graph --model} needs no more; {@link CliModel} adds the weights. Example:
 *
 * <pre>{@code
 * ModelConfig c = ModelConfig.preset("tiny-llama").orElseThrow();
 * try (ModelDir d = ModelDir.open(dir)) { ModelConfig fromDir = ModelConfig.of(d); }
 * }</pre>
 */
sealed interface ModelConfig {
  record Grok(Grok1Config c) implements ModelConfig {}

  record Llama(LlamaConfig c) implements ModelConfig {}

  /**
   * A preset's configuration: {@code tiny-grok}, {@code tiny-llama}, or {@code grok-1} (full size: for graphs only,
   * its weights would not fit random in memory); empty for any other name.
   */
  static Optional<ModelConfig> preset(String name) {
    return Optional.ofNullable(switch (name) {
      case "tiny-grok" -> new Grok(Grok1Config.tiny());
      case "grok-1" -> new Grok(Grok1Config.full());
      case "tiny-llama" -> new Llama(LlamaConfig.tiny());
      default -> null;
    });
  }

  /** The configuration of an open model directory (its config.json). */
  static ModelConfig of(ModelDir dir) {
    return switch (dir.type()) {
      case GROK1 -> new Grok(dir.grok1Config());
      case LLAMA -> new Llama(dir.llamaConfig());
    };
  }

  default int vocabSize() {
    return switch (this) {
      case Grok g -> g.c().vocabSize();
      case Llama l -> l.c().vocabSize();
    };
  }

  /** The most tokens a row may have (Grok-1's context length, Llama's max_position_embeddings). */
  default int contextLength() {
    return switch (this) {
      case Grok g -> g.c().contextLength();
      case Llama l -> l.c().maxPositions();
    };
  }

  default Tree<TensorType> parameterTypes() {
    return switch (this) {
      case Grok g -> g.c().parameterTypes();
      case Llama l -> l.c().parameterTypes();
    };
  }

  /** Whether the matrices are int8 with scales. */
  default boolean int8() { return this instanceof Grok g && g.c().weightFormat() == WeightFormat.INT8; }
}
