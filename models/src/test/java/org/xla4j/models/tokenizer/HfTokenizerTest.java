package org.xla4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A byte-level BPE tokenizer.json through Hugging Face's tokenizers (DJL): the jar's native library loads
 * without a network, exact ids follow from the fixture's merges, text round-trips.
 */
class HfTokenizerTest {
  @TempDir Path dir;

  /** Id of byte {@code c} in the fixture. */
  private static int b(int c) { return 3 + c; }

  @Test
  void encodesByTheMergesAndRoundTrips() throws Exception {
    Path f = TokenizerFixtures.writeHfTokenizer(dir);
    try (Tokenizer tok = HfTokenizer.load(f, null)) {
      // "hello" -> h e l l o -> he l l o -> he ll o -> hell o; " world" -> Ġ w o r l d -> Ġw o r l d -> Ġw or l d
      // -> Ġwor l d. Merged ids follow the bytes in merge order: he 259, ll 260, hell 261, Ġw 262, or 263, Ġwor 264.
      assertArrayEquals(new int[] {261, b('o'), 264, b('l'), b('d')}, tok.encode("hello world"));
      // no special tokens are added
      assertArrayEquals(new int[] {b('h')}, tok.encode("h"));
      // é is bytes C3 A9, each its own token (no merges apply)
      assertArrayEquals(new int[] {b('h'), b(0xC3), b(0xA9)}, tok.encode("h\u00e9"));
      for (String s : new String[] {"hello world", "h\u00e9llo w\u00f6rld \u2713 \uD83D\uDE00", "  two  spaces\tand\nlines ",
          ""}) {
        assertEquals(s, tok.decode(tok.encode(s)), "round trip of [" + s + "]");
      }
      // special tokens are left out of the text
      assertEquals("hell", tok.decode(new int[] {1, 261, 2, 0}));
      assertEquals(259 + TokenizerFixtures.MERGES.size(), tok.vocabSize());
      assertEquals(SpecialTokens.none(), tok.special());
    }
  }

  @Test
  void specialTokensFromTokenizerConfigAndOverrides() throws Exception {
    Path f = TokenizerFixtures.writeHfTokenizer(dir);
    TokenizerFixtures.writeString(dir.resolve("tokenizer_config.json"),
        "{\"bos_token\": \"<s>\", \"eos_token\": {\"content\": \"</s>\"}, \"pad_token\": null}");
    try (Tokenizer tok = HfTokenizer.load(f, null)) {
      assertEquals(new SpecialTokens(OptionalInt.of(1), OptionalInt.of(2), OptionalInt.empty()), tok.special());
    }
    SpecialTokens cfg = new SpecialTokens(OptionalInt.empty(), OptionalInt.of(7), OptionalInt.of(0));
    try (Tokenizer tok = HfTokenizer.load(f, cfg)) {
      assertEquals(new SpecialTokens(OptionalInt.of(1), OptionalInt.of(7), OptionalInt.of(0)), tok.special());
    }
  }

  @Test
  void closedTokenizerFailsCleanlyAndCloseIsIdempotent() throws Exception {
    Tokenizer tok = HfTokenizer.load(TokenizerFixtures.writeHfTokenizer(dir), null);
    tok.close();
    tok.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> tok.encode("x"));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  @Test
  void badFilesNameTheFile() throws Exception {
    Path notJson = dir.resolve("tokenizer.json");
    TokenizerFixtures.writeString(notJson, "{ this is not json");
    TokenizerException e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(notJson, null));
    assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("not valid JSON"), e.getMessage());
    // valid JSON that the library rejects: a model of an unknown type
    TokenizerFixtures.writeString(notJson, "{\"model\": {\"type\": \"Nonsense\", \"vocab\": {\"a\": 0}}}");
    e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(notJson, null));
    assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("rejected"), e.getMessage());
    Path missing = dir.resolve("sub/tokenizer.json");
    e = assertThrows(TokenizerException.class, () -> HfTokenizer.load(missing, null));
    assertTrue(e.getMessage().contains("sub"), e.getMessage());
  }
}
