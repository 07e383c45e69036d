package org.xla4j.models.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 bytes as ids, shifted by {@code offset} so that ids below it stay free for special tokens
 * (pad 0, BOS 1, EOS 2 with the default offset 3). For random-weight presets, which have no tokenizer
 * of their own; ids at or above {@code offset + 256} decode to nothing.
 *
 * <pre>{@code
 * Tokenizer tok = ByteTokenizer.withOffset(3);   // "hi" -> [107, 108]
 * }</pre>
 */
public final class ByteTokenizer implements Tokenizer {
  private final int offset;
  private final SpecialTokens special;

  private ByteTokenizer(int offset, SpecialTokens special) {
    this.offset = offset;
    this.special = special;
  }

  /** Bytes shifted by 3; pad 0, BOS 1, EOS 2. */
  public static ByteTokenizer withOffset(int offset) {
    if (offset < 3) {
      throw new IllegalArgumentException("ByteTokenizer: offset must be >= 3 (pad, bos, eos), got " + offset);
    }
    return new ByteTokenizer(offset, new SpecialTokens(java.util.OptionalInt.of(1), java.util.OptionalInt.of(2),
        java.util.OptionalInt.of(0)));
  }

  @Override
  public int[] encode(String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[b.length];
    for (int i = 0; i < b.length; i++) ids[i] = (b[i] & 0xff) + offset;
    return ids;
  }

  @Override
  public String decode(int[] ids) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length);
    for (int id : ids) {
      if (id >= offset && id < offset + 256) out.write(id - offset);
    }
    // Invalid UTF-8 (a random model's bytes) decodes to U+FFFD rather than failing.
    return out.toString(StandardCharsets.UTF_8);
  }

  @Override
  public int vocabSize() { return offset + 256; }

  @Override
  public SpecialTokens special() { return special; }

  @Override
  public void close() {}
}
