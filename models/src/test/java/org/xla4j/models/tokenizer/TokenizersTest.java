package org.xla4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which file a model directory's tokenizer comes from, and special ids from config.json. */
class TokenizersTest {
  @TempDir Path dir;

  @Test
  void tokenizerJsonWinsOverSentencePiece() throws Exception {
    TokenizerFixtures.write(dir, "tokenizer.model", TokenizerFixtures.unigram());
    TokenizerFixtures.writeHfTokenizer(dir);
    try (Tokenizer tok = Tokenizers.load(dir)) {
      assertInstanceOf(HfTokenizer.class, tok);
    }
    Files.delete(dir.resolve("tokenizer.json"));
    try (Tokenizer tok = Tokenizers.load(dir)) {
      assertInstanceOf(SentencePieceTokenizer.class, tok);
    }
  }

  @Test
  void aSingleOtherModelFileIsFoundAndSeveralAreAnError() throws Exception {
    TokenizerFixtures.write(dir, "grok.model", TokenizerFixtures.bpe(true));
    assertEquals(dir.resolve("grok.model"), Tokenizers.find(dir));
    TokenizerFixtures.write(dir, "other.model", TokenizerFixtures.bpe(false));
    TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizers.load(dir));
    assertTrue(e.getMessage().contains("several") && e.getMessage().contains("grok.model"), e.getMessage());
    // a file can be named directly
    try (Tokenizer tok = Tokenizers.load(dir.resolve("other.model"))) {
      // other.model has no byte fallback: "x" is one <unk> after the lone "▁" piece
      assertArrayEquals(new int[] {TokenizerFixtures.bpe(false).id(TokenizerFixtures.SP), 0}, tok.encode("x"));
    }
  }

  @Test
  void configJsonSpecialIdsOverrideTheTokenizersOwn() throws Exception {
    TokenizerFixtures.write(dir, "tokenizer.model", TokenizerFixtures.unigram());
    // Llama 3 style: a list of EOS ids (the first is taken), no pad, BOS absent (the model's own 1 stays)
    TokenizerFixtures.writeString(dir.resolve("config.json"), "{\"eos_token_id\": [5, 6], \"pad_token_id\": null}");
    try (Tokenizer tok = Tokenizers.load(dir)) {
      assertEquals(new SpecialTokens(OptionalInt.of(1), OptionalInt.of(5), OptionalInt.empty()), tok.special());
    }
    JsonObject cfg = JsonParser.parseString("{\"bos_token_id\": 2, \"eos_token_id\": 1, \"pad_token_id\": 0}")
        .getAsJsonObject();
    try (Tokenizer tok = Tokenizers.load(dir, cfg)) {
      assertEquals(new SpecialTokens(OptionalInt.of(2), OptionalInt.of(1), OptionalInt.of(0)), tok.special());
    }
    JsonObject bad = JsonParser.parseString("{\"eos_token_id\": \"</s>\"}").getAsJsonObject();
    TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizers.load(dir, bad));
    assertTrue(e.getMessage().contains("eos_token_id"), e.getMessage());
  }

  @Test
  void missingTokenizerNamesTheDirectoryAndWhatWasLookedFor() throws Exception {
    TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizers.load(dir));
    assertTrue(e.getMessage().startsWith(dir.toString()) && e.getMessage().contains("tokenizer.json")
        && e.getMessage().contains("tokenizer.model"), e.getMessage());
    Path nowhere = dir.resolve("no-such-model");
    e = assertThrows(TokenizerException.class, () -> Tokenizers.load(nowhere));
    assertTrue(e.getMessage().contains("no-such-model"), e.getMessage());
    assertEquals(nowhere, e.file());
  }

  @Test
  void corruptFileInADirectoryNamesTheFile() throws Exception {
    Files.write(dir.resolve("tokenizer.model"), new byte[] {0x0A, (byte) 0xFF, 0x7F});
    TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizers.load(dir));
    assertTrue(e.getMessage().contains("tokenizer.model"), e.getMessage());
    TokenizerFixtures.writeString(dir.resolve("config.json"), "[1, 2]");
    e = assertThrows(TokenizerException.class, () -> Tokenizers.load(dir));
    assertTrue(e.getMessage().contains("config.json"), e.getMessage());
  }
}
