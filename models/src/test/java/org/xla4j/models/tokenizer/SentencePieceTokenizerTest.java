package org.xla4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xla4j.models.tokenizer.TokenizerFixtures.FIRST_BYTE;
import static org.xla4j.models.tokenizer.TokenizerFixtures.SP;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.models.tokenizer.TokenizerFixtures.Pieces;

/** SentencePiece models the fixtures write: exact ids derived from the pieces' scores, and round trips. */
class SentencePieceTokenizerTest {
  @TempDir Path dir;

  private static int b(int value) { return FIRST_BYTE + value; }

  @Test
  void unigramPicksTheBestScoringSegmentation() throws Exception {
    Pieces p = TokenizerFixtures.unigram();
    try (SentencePieceTokenizer tok = SentencePieceTokenizer.load(TokenizerFixtures.write(dir, "u.model", p))) {
      assertTrue(!tok.isBpe());
      // "▁hello▁world": ▁hell + o (-6.5) beats ▁hello (-7); ▁world (-6) beats ▁wor + ld (-6.5)
      assertArrayEquals(new int[] {p.id(SP + "hell"), p.id("o"), p.id(SP + "world")}, tok.encode("hello world"));
      // "x" has no piece: ▁he + unknown (-5 - 17) beats ▁ + h + e + unknown (-28); byte fallback gives <0x78>
      assertArrayEquals(new int[] {p.id(SP + "he"), b('x')}, tok.encode("hex"));
      // é is two UTF-8 bytes C3 A9; the rest: ▁ + h (-7) then llo (-5)
      assertArrayEquals(new int[] {p.id(SP), p.id("h"), b(0xC3), b(0xA9), p.id("llo")}, tok.encode("h\u00e9llo"));
      // remove_extra_whitespaces is off: the second space is a piece of its own
      assertArrayEquals(new int[] {p.id(SP + "hell"), p.id("o"), p.id(SP), p.id(SP + "world")}, tok.encode("hello  world"));
      // a user-defined piece is always itself
      assertArrayEquals(new int[] {p.id(SP + "he"), p.id("<sep>"), p.id("o")}, tok.encode("he<sep>o"));
      assertArrayEquals(new int[0], tok.encode(""));
      assertEquals(p.model.getPiecesCount(), tok.vocabSize());
      assertEquals(new SpecialTokens(OptionalInt.of(1), OptionalInt.of(2), OptionalInt.empty()), tok.special());
    }
  }

  @Test
  void unigramRoundTrips() throws Exception {
    try (SentencePieceTokenizer tok = SentencePieceTokenizer.load(TokenizerFixtures.write(dir, "u.model",
        TokenizerFixtures.unigram()))) {
      for (String s : new String[] {"hello world", "Hello, World!", "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c \uD83D\uDE00",
          "  two  spaces and\ttab\nnewline ", "x", "<sep>he"}) {
        assertEquals(s, tok.decode(tok.encode(s)), "round trip of [" + s + "]");
      }
    }
  }

  @Test
  void decodeLeavesOutControlPiecesAndJoinsBytes() throws Exception {
    Pieces p = TokenizerFixtures.unigram();
    try (SentencePieceTokenizer tok = SentencePieceTokenizer.load(TokenizerFixtures.write(dir, "u.model", p))) {
      // BOS and EOS are left out; the dummy prefix's space is removed
      assertEquals("he", tok.decode(new int[] {1, p.id(SP + "he"), 2}));
      // the bytes of é in two ids join into one character; an id past the vocabulary is skipped
      assertEquals("\u00e9", tok.decode(new int[] {1, b(0xC3), b(0xA9), 2, 100_000}));
      assertEquals(SP + "hell", tok.piece(p.id(SP + "hell")));
      // a lone continuation byte is invalid UTF-8: U+FFFD, not an exception
      assertEquals("\uFFFD", tok.decode(new int[] {b(0xA9)}));
    }
  }

  @Test
  void bpeMergesHighestScoreFirstLeftmostAmongEquals() throws Exception {
    Pieces p = TokenizerFixtures.bpe(false);
    try (SentencePieceTokenizer tok = SentencePieceTokenizer.load(TokenizerFixtures.write(dir, "b.model", p))) {
      assertTrue(tok.isBpe());
      // ▁ a b c: ab (-1) first, then ▁ab (-4); "▁abc" is no piece. Merging bc (-2) first would give ▁a + bc.
      assertArrayEquals(new int[] {p.id(SP + "ab"), p.id("c")}, tok.encode("abc"));
      // ▁ a a a: the two "aa" pairs score alike; the leftmost merges, leaving ▁ + aa + a (rightmost would allow ▁a + aa)
      assertArrayEquals(new int[] {p.id(SP), p.id("aa"), p.id("a")}, tok.encode("aaa"));
      // x and y have no piece and no byte fallback: one <unk> for the run
      assertArrayEquals(new int[] {p.id(SP + "ab"), 0, p.id("c")}, tok.encode("abxyc"));
      assertEquals("ab \u2047 c", tok.decode(tok.encode("abxyc")));
      // default normalizer: leading, trailing and repeated spaces removed
      assertArrayEquals(tok.encode("ab ab"), tok.encode("   ab    ab "));
      assertArrayEquals(new int[] {p.id(SP + "ab"), p.id(SP + "ab")}, tok.encode("ab ab"));
      assertEquals(new SpecialTokens(OptionalInt.of(1), OptionalInt.of(2), OptionalInt.empty()), tok.special());
    }
  }

  @Test
  void bpeWithByteFallbackRoundTrips() throws Exception {
    Pieces p = TokenizerFixtures.bpe(true);
    try (SentencePieceTokenizer tok = SentencePieceTokenizer.load(TokenizerFixtures.write(dir, "bb.model", p))) {
      // ▁a merges (-3); é becomes C3 A9
      assertArrayEquals(new int[] {p.id(SP + "a"), b(0xC3), b(0xA9)}, tok.encode("a\u00e9"));
      for (String s : new String[] {"abc aab", "caf\u00e9 \u2713", "new\nline", "\uD83D\uDE00 ok"}) {
        assertEquals(s, tok.decode(tok.encode(s)), "round trip of [" + s + "]");
      }
    }
  }

  @Test
  void largeVocabularyLoadsAndEncodes() throws Exception {
    // Grok-1's size: 131,072 pieces (bytes, then many merges); encoding stays linear-ish in the text
    Pieces p = TokenizerFixtures.bpe(true);
    for (int i = p.model.getPiecesCount(); i < 131_072; i++) p.normal("w" + i, -100f - i);
    Path f = TokenizerFixtures.write(dir, "big.model", p);
    long t0 = System.nanoTime();
    try (SentencePieceTokenizer tok = SentencePieceTokenizer.load(f)) {
      assertEquals(131_072, tok.vocabSize());
      String text = "abc ".repeat(5000);
      int[] ids = tok.encode(text);
      assertEquals(text.strip(), tok.decode(ids));
    }
    assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "load + encode of 20,000 characters took over 20 s");
  }

  @Test
  void missingAndCorruptFilesNameTheFile() throws Exception {
    Path missing = dir.resolve("nope.model");
    TokenizerException e = assertThrows(TokenizerException.class, () -> SentencePieceTokenizer.load(missing));
    assertTrue(e.getMessage().contains("nope.model"), e.getMessage());
    Path corrupt = dir.resolve("corrupt.model");
    // field 1, length-delimited, with a length that runs past the end
    Files.write(corrupt, new byte[] {0x0A, (byte) 0xFF, 0x7F, 1, 2});
    e = assertThrows(TokenizerException.class, () -> SentencePieceTokenizer.load(corrupt));
    assertTrue(e.getMessage().contains("corrupt.model") && e.getMessage().contains("not a SentencePiece model"),
        e.getMessage());
    Path empty = dir.resolve("empty.model");
    Files.write(empty, new byte[0]);
    e = assertThrows(TokenizerException.class, () -> SentencePieceTokenizer.load(empty));
    assertTrue(e.getMessage().contains("empty.model") && e.getMessage().contains("no pieces"), e.getMessage());
  }
}
