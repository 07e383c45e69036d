package org.xla4j.models.tokenizer;

import java.util.Arrays;

/**
 * Text of generated ids as they arrive, for streaming output: each {@link #push} returns only the new
 * characters. Decoding ids one at a time would lose what spans tokens (the space SentencePiece writes as
 * '▁' at a token's start, a character split over byte-fallback or byte-level tokens); instead the new
 * tail is decoded together with the previous token and the difference returned, held back while it ends
 * in an incomplete UTF-8 sequence (U+FFFD). The concatenated pushes plus {@link #finish} equal
 * {@code tokenizer.decode(allIds)}.
 *
 * <pre>{@code
 * DecodeStream text = new DecodeStream(tok);
 * for (int id : generated) System.out.print(text.push(id));
 * System.out.print(text.finish());
 * }</pre>
 */
public final class DecodeStream {
  private final Tokenizer tokenizer;
  private int[] ids = new int[16];
  private int size;
  /** Start of the window decoded as context. */
  private int prefix;
  /** End of what has been returned as text. */
  private int read;

  public DecodeStream(Tokenizer tokenizer) { this.tokenizer = java.util.Objects.requireNonNull(tokenizer, "tokenizer"); }

  /** Adds one id; returns the text it completes (possibly empty). */
  public String push(int id) {
    if (size == ids.length) ids = Arrays.copyOf(ids, 2 * size);
    ids[size++] = id;
    String before = tokenizer.decode(Arrays.copyOfRange(ids, prefix, read));
    String now = tokenizer.decode(Arrays.copyOfRange(ids, prefix, size));
    if (now.length() <= before.length() || now.endsWith("\uFFFD") || !now.startsWith(before)) return "";
    prefix = read;
    read = size;
    return now.substring(before.length());
  }

  /** The text still held back (an incomplete character at the end decodes as U+FFFD); ends the stream's pending part. */
  public String finish() {
    String before = tokenizer.decode(Arrays.copyOfRange(ids, prefix, read));
    String now = tokenizer.decode(Arrays.copyOfRange(ids, prefix, size));
    prefix = read = size;
    return now.startsWith(before) ? now.substring(before.length()) : "";
  }

  /** Every id pushed so far. */
  public int[] ids() { return Arrays.copyOf(ids, size); }
}
