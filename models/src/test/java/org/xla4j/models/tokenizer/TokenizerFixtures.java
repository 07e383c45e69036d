package org.xla4j.models.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xla4j.models.tokenizer.proto.SentencePieceModelProtos.ModelProto;
import org.xla4j.models.tokenizer.proto.SentencePieceModelProtos.ModelProto.SentencePiece;
import org.xla4j.models.tokenizer.proto.SentencePieceModelProtos.NormalizerSpec;
import org.xla4j.models.tokenizer.proto.SentencePieceModelProtos.TrainerSpec;

/**
 * Small tokenizer files the tests write: SentencePiece models (unigram and BPE) through our proto subset,
 * and a byte-level BPE {@code tokenizer.json} in Hugging Face's format. The ids the tests expect are
 * derived by hand from the pieces and scores listed here.
 */
final class TokenizerFixtures {
  private TokenizerFixtures() {}

  static final String SP = "\u2581";
  /** Ids 0-2 are {@code <unk>}, {@code <s>}, {@code </s>}; with bytes, {@code <0xNN>} is id 3 + NN. */
  static final int FIRST_BYTE = 3;

  /** A piece list under construction. */
  static final class Pieces {
    final ModelProto.Builder model = ModelProto.newBuilder();
    final Map<String, Integer> ids = new LinkedHashMap<>();

    Pieces add(String piece, float score, SentencePiece.Type type) {
      ids.put(piece, model.getPiecesCount());
      model.addPieces(SentencePiece.newBuilder().setPiece(piece).setScore(score).setType(type));
      return this;
    }

    Pieces normal(String piece, float score) { return add(piece, score, SentencePiece.Type.NORMAL); }

    int id(String piece) {
      Integer id = ids.get(piece);
      if (id == null) throw new IllegalArgumentException("no piece " + piece);
      return id;
    }
  }

  private static Pieces specials(boolean bytes) {
    Pieces p = new Pieces();
    p.add("<unk>", 0, SentencePiece.Type.UNKNOWN);
    p.add("<s>", 0, SentencePiece.Type.CONTROL);
    p.add("</s>", 0, SentencePiece.Type.CONTROL);
    if (bytes) for (int b = 0; b < 256; b++) p.add(String.format("<0x%02X>", b), 0, SentencePiece.Type.BYTE);
    return p;
  }

  /**
   * Unigram with byte fallback, extra spaces kept. Scores chosen so that the best segmentation is not the
   * longest match: "▁hello" scores -7 alone but "▁hell" + "o" score -2.5 - 4 = -6.5; "▁world" (-6) beats
   * "▁wor" + "ld" (-3 - 3.5 = -6.5). The lowest score is -7, so an unknown character scores -17.
   */
  static Pieces unigram() {
    Pieces p = specials(true);
    p.normal(SP, -3f);
    for (String c : new String[] {"h", "e", "l", "o", "w", "r", "d"}) p.normal(c, -4f);
    p.normal(SP + "he", -5f).normal("llo", -5f).normal(SP + "hello", -7f).normal(SP + "hell", -2.5f);
    p.normal(SP + "world", -6f).normal(SP + "wor", -3f).normal("ld", -3.5f);
    p.add("<sep>", 0, SentencePiece.Type.USER_DEFINED);
    p.model.setTrainerSpec(TrainerSpec.newBuilder().setModelType(TrainerSpec.ModelType.UNIGRAM).setByteFallback(true)
        .setUnkId(0).setBosId(1).setEosId(2));
    p.model.setNormalizerSpec(NormalizerSpec.newBuilder().setName("identity").setAddDummyPrefix(true)
        .setRemoveExtraWhitespaces(false));
    return p;
  }

  /**
   * BPE (score = -merge rank, SentencePiece's BPE convention), SentencePiece's default normalizer flags
   * (extra spaces removed), with or without byte fallback. Merges: "ab" -1, "bc" -2, "▁a" -3, "▁ab" -4,
   * "aa" -1.5; characters "▁", "a", "b", "c" at -10.
   */
  static Pieces bpe(boolean byteFallback) {
    Pieces p = specials(byteFallback);
    p.normal("ab", -1f).normal("aa", -1.5f).normal("bc", -2f).normal(SP + "a", -3f).normal(SP + "ab", -4f);
    for (String c : new String[] {SP, "a", "b", "c"}) p.normal(c, -10f);
    p.model.setTrainerSpec(TrainerSpec.newBuilder().setModelType(TrainerSpec.ModelType.BPE).setByteFallback(byteFallback)
        .setBosId(1).setEosId(2).setPadId(-1));
    // no normalizer spec at all: proto2 defaults (add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces)
    return p;
  }

  static Path write(Path dir, String name, Pieces p) throws IOException {
    Path f = dir.resolve(name);
    Files.write(f, p.model.build().toByteArray());
    return f;
  }

  // ---- Hugging Face tokenizer.json: byte-level BPE ----

  /** GPT-2's byte-to-character table of byte-level BPE: printable bytes map to themselves, the rest to 256+. */
  static char byteChar(int b) {
    List<Integer> bs = new ArrayList<>();
    for (int c = '!'; c <= '~'; c++) bs.add(c);
    for (int c = 0xA1; c <= 0xAC; c++) bs.add(c);
    for (int c = 0xAE; c <= 0xFF; c++) bs.add(c);
    if (bs.contains(b)) return (char) b;
    int n = 0;
    for (int x = 0; x < b; x++) if (!bs.contains(x)) n++;
    return (char) (256 + n);
  }

  /** Ids of the tokenizer.json: pad 0, BOS 1, EOS 2, byte b at 3 + b, then the merged tokens in merge order. */
  static final List<String> MERGES = List.of("h e", "l l", "he ll", "\u0120 w", "o r", "\u0120w or");

  static Path writeHfTokenizer(Path dir) throws IOException {
    JsonObject vocab = new JsonObject();
    vocab.addProperty("<pad>", 0);
    vocab.addProperty("<s>", 1);
    vocab.addProperty("</s>", 2);
    for (int b = 0; b < 256; b++) vocab.addProperty(String.valueOf(byteChar(b)), 3 + b);
    int next = 259;
    JsonArray merges = new JsonArray();
    for (String m : MERGES) {
      merges.add(m);
      vocab.addProperty(m.replace(" ", ""), next++);
    }
    JsonObject model = new JsonObject();
    model.addProperty("type", "BPE");
    model.add("dropout", JsonNull.INSTANCE);
    model.add("unk_token", JsonNull.INSTANCE);
    model.add("continuing_subword_prefix", JsonNull.INSTANCE);
    model.add("end_of_word_suffix", JsonNull.INSTANCE);
    model.addProperty("fuse_unk", false);
    model.addProperty("byte_fallback", false);
    model.addProperty("ignore_merges", false);
    model.add("vocab", vocab);
    model.add("merges", merges);
    JsonArray added = new JsonArray();
    String[] specials = {"<pad>", "<s>", "</s>"};
    for (int i = 0; i < specials.length; i++) {
      JsonObject t = new JsonObject();
      t.addProperty("id", i);
      t.addProperty("content", specials[i]);
      t.addProperty("single_word", false);
      t.addProperty("lstrip", false);
      t.addProperty("rstrip", false);
      t.addProperty("normalized", false);
      t.addProperty("special", true);
      added.add(t);
    }
    JsonObject byteLevel = new JsonObject();
    byteLevel.addProperty("type", "ByteLevel");
    byteLevel.addProperty("add_prefix_space", false);
    byteLevel.addProperty("trim_offsets", true);
    byteLevel.addProperty("use_regex", true);
    JsonObject root = new JsonObject();
    root.addProperty("version", "1.0");
    root.add("truncation", JsonNull.INSTANCE);
    root.add("padding", JsonNull.INSTANCE);
    root.add("added_tokens", added);
    root.add("normalizer", JsonNull.INSTANCE);
    root.add("pre_tokenizer", byteLevel);
    root.add("post_processor", JsonNull.INSTANCE);
    root.add("decoder", byteLevel);
    root.add("model", model);
    Path f = dir.resolve("tokenizer.json");
    Files.writeString(f, root.toString(), StandardCharsets.UTF_8);
    return f;
  }

  static void writeString(Path f, String s) throws IOException { Files.writeString(f, s, StandardCharsets.UTF_8); }
}
