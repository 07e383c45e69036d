package org.xla4j.models.tokenizer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * Finds and opens a model directory's tokenizer: {@code tokenizer.json} (Hugging Face, through
 * {@link HfTokenizer}), else {@code tokenizer.model} or the one {@code *.model} file (SentencePiece, through
 * {@link SentencePieceTokenizer}). Special ids come from the model's {@code config.json}
 * ({@code bos_token_id}, {@code eos_token_id}, {@code pad_token_id}; the first of a list) where it names
 * them, each other one from the tokenizer's own files (SentencePiece's trainer spec, Hugging Face's
 * tokenizer_config.json).
 *
 * <pre>{@code
 * try (Tokenizer tok = Tokenizers.load(Path.of("checkpoints/llama"))) {
 *   int[] ids = tok.encode("The answer is");
 * }
 * }</pre>
 */
public final class Tokenizers {
  private Tokenizers() {}

  /** The tokenizer of {@code modelDir} (or of a tokenizer file), special ids from its config.json if any. */
  public static Tokenizer load(Path modelDir) {
    Path config = (Files.isDirectory(modelDir) ? modelDir : modelDir.toAbsolutePath().getParent()).resolve("config.json");
    JsonObject c = Files.isRegularFile(config) ? HfTokenizer.readJson(config) : null;
    return load(modelDir, c);
  }

  /** As {@link #load(Path)} with the model's parsed config.json (null: none). */
  public static Tokenizer load(Path modelDir, JsonObject config) {
    Path file = find(modelDir);
    SpecialTokens special = config == null ? null : fromConfig(modelDir, config);
    if (!file.getFileName().toString().endsWith(".json")) return SentencePieceTokenizer.load(file, special);
    try {
      return HfTokenizer.load(file, special);
    } catch (NoClassDefFoundError e) {
      // a slim class path (the GPU machine's carry) may leave out the 18 MB tokenizers jar
      throw new TokenizerException(file, "reading tokenizer.json needs ai.djl.huggingface:tokenizers (with ai.djl:api "
          + "and net.java.dev.jna:jna) on the class path; missing " + e.getMessage(), e);
    }
  }

  /** The tokenizer file {@link #load} would open. */
  public static Path find(Path modelDir) {
    if (Files.isRegularFile(modelDir)) {
      String name = modelDir.getFileName().toString();
      if (name.endsWith(".json") || name.endsWith(".model")) return modelDir;
      throw new TokenizerException(modelDir, "not a tokenizer file: expected tokenizer.json or a SentencePiece .model");
    }
    if (!Files.isDirectory(modelDir)) throw new TokenizerException(modelDir, "no such model directory or tokenizer file");
    Path json = modelDir.resolve("tokenizer.json");
    if (Files.isRegularFile(json)) return json;
    Path sp = modelDir.resolve("tokenizer.model");
    if (Files.isRegularFile(sp)) return sp;
    List<Path> models;
    try (Stream<Path> s = Files.list(modelDir)) {
      models = s.filter(p -> p.getFileName().toString().endsWith(".model") && Files.isRegularFile(p)).sorted().toList();
    } catch (IOException e) {
      throw new TokenizerException(modelDir, "cannot list: " + e.getMessage(), e);
    }
    if (models.size() == 1) return models.get(0);
    if (models.isEmpty()) {
      throw new TokenizerException(modelDir, "no tokenizer: looked for tokenizer.json, tokenizer.model and *.model");
    }
    throw new TokenizerException(modelDir, "several SentencePiece models, name one: " + models);
  }

  /**
   * Special ids from a model's config.json (absent where it names none, so the tokenizer's own fill in).
   * An id that is not a non-negative integer is an error naming the key.
   */
  public static SpecialTokens fromConfig(Path where, JsonObject config) {
    return new SpecialTokens(id(where, config, "bos_token_id"), id(where, config, "eos_token_id"),
        id(where, config, "pad_token_id"));
  }

  private static OptionalInt id(Path where, JsonObject config, String key) {
    JsonElement e = config.get(key);
    if (e == null || e.isJsonNull()) return OptionalInt.empty();
    // eos_token_id may be a list (Llama 3: end of text and end of turn): the first is the model's EOS
    if (e.isJsonArray()) {
      if (e.getAsJsonArray().isEmpty()) return OptionalInt.empty();
      e = e.getAsJsonArray().get(0);
    }
    try {
      long v = e.getAsJsonPrimitive().isNumber() ? e.getAsLong() : -1;
      if (v < 0 || v > Integer.MAX_VALUE || e.getAsDouble() != v) throw new NumberFormatException();
      return OptionalInt.of((int) v);
    } catch (RuntimeException ex) {
      throw new TokenizerException(where, "config.json " + key + " must be a non-negative integer, got " + e);
    }
  }
}
