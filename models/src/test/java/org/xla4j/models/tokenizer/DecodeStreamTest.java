package org.xla4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streamed text equals the whole decode, with spaces at token starts and characters split over byte tokens. */
class DecodeStreamTest {
  @TempDir Path dir;

  private static void check(Tokenizer tok, String s) {
    int[] ids = tok.encode(s);
    DecodeStream stream = new DecodeStream(tok);
    StringBuilder out = new StringBuilder();
    for (int id : ids) {
      String piece = stream.push(id);
      // a half-decoded character is never emitted
      assertFalse(piece.contains("\uFFFD"), "pushed a replacement character for [" + s + "]");
      out.append(piece);
    }
    out.append(stream.finish());
    assertEquals(tok.decode(ids), out.toString(), "streamed [" + s + "]");
    assertEquals(s, out.toString());
  }

  @Test
  void sentencePieceStreamsSpacesAndByteFallback() throws Exception {
    try (Tokenizer tok = SentencePieceTokenizer.load(TokenizerFixtures.write(dir, "u.model", TokenizerFixtures.unigram()))) {
      for (String s : new String[] {"hello world", "h\u00e9llo w\u00f6rld \u2713 \uD83D\uDE00", "  two  spaces "}) check(tok, s);
      // "▁world" alone would decode without its space: the stream keeps it
      DecodeStream d = new DecodeStream(tok);
      StringBuilder out = new StringBuilder();
      for (int id : tok.encode("hello world")) out.append(d.push(id));
      assertEquals("hello world", out.toString());
    }
  }

  @Test
  void byteLevelStreamsMultiByteCharacters() throws Exception {
    try (Tokenizer tok = HfTokenizer.load(TokenizerFixtures.writeHfTokenizer(dir), null)) {
      for (String s : new String[] {"hello world", "\u65e5\u672c\u8a9e \uD83D\uDE00!", "a\nb"}) check(tok, s);
    }
  }

  @Test
  void anIncompleteCharacterAtTheEndComesOutOnFinish() throws Exception {
    try (Tokenizer tok = ByteTokenizer.withOffset(3)) {
      DecodeStream d = new DecodeStream(tok);
      byte[] euro = "\u20ac".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      assertEquals("", d.push(3 + (euro[0] & 0xff)));
      assertEquals("", d.push(3 + (euro[1] & 0xff)));
      assertEquals("\uFFFD", d.finish());
    }
  }
}
