package org.xla4j.models.tokenizer;

/**
 * Text to token ids and back, for generation. Implementations: Hugging Face {@code tokenizer.json},
 * SentencePiece {@code .model} files, and {@link ByteTokenizer} for random-weight presets.
 *
 * <pre>{@code
 * try (Tokenizer tok = Tokenizers.load(modelDir)) {
 *   int[] ids = tok.encode("The answer is");
 *   String text = tok.decode(ids);
 * }
 * }</pre>
 */
public interface Tokenizer extends AutoCloseable {

  /** The ids of {@code text}, without special tokens added (callers prepend BOS where the model wants it). */
  int[] encode(String text);

  /** The text of {@code ids}, special tokens (BOS, EOS, pad) left out. */
  String decode(int[] ids);

  /** Number of ids this tokenizer can produce (the model's vocabulary may be larger). */
  int vocabSize();

  /** BOS, EOS and pad ids. */
  SpecialTokens special();

  /** Releases native resources, if any; idempotent. */
  @Override
  void close();
}
