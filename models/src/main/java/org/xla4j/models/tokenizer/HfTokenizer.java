package org.xla4j.models.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A Hugging Face {@code tokenizer.json} through Hugging Face's own (Rust) tokenizers library, bound by DJL
 * ({@code ai.djl.huggingface:tokenizers}). Its jar carries the native library for linux-x86_64,
 * linux-aarch64, macOS and Windows and copies it to DJL's cache directory on first use; nothing is
 * downloaded, because the CPU build is forced here (on a CUDA machine DJL would otherwise try to download
 * a CUDA build, which tokenization does not need). Encoding adds no special tokens; decoding skips them.
 *
 * <pre>{@code
 * try (Tokenizer tok = HfTokenizer.load(dir.resolve("tokenizer.json"), null)) {
 *   int[] ids = tok.encode("Hello world");
 * }
 * }</pre>
 */
public final class HfTokenizer implements Tokenizer {
  static {
    // DJL reads RUST_FLAVOR from the environment or a system property; "cpu" is the build inside the jar
    if (System.getenv("RUST_FLAVOR") == null && System.getProperty("RUST_FLAVOR") == null) {
      System.setProperty("RUST_FLAVOR", "cpu");
    }
    // DJL logs through SLF4J; with no logging backend on the class path SLF4J prints a three-line warning on
    // stderr (into the CLI's output): pick its silent provider then, and leave an application's own alone
    if (System.getProperty("slf4j.provider") == null
        && java.util.ServiceLoader.load(org.slf4j.spi.SLF4JServiceProvider.class).findFirst().isEmpty()) {
      System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
      // and without SLF4J's own note that it took the provider named here
      if (System.getProperty("slf4j.internal.verbosity") == null) System.setProperty("slf4j.internal.verbosity", "WARN");
    }
  }

  private final Path file;
  private final HuggingFaceTokenizer tokenizer;
  private final int vocabSize;
  private final SpecialTokens special;
  private boolean closed;

  private HfTokenizer(Path file, HuggingFaceTokenizer tokenizer, int vocabSize, SpecialTokens special) {
    this.file = file;
    this.tokenizer = tokenizer;
    this.vocabSize = vocabSize;
    this.special = special;
  }

  /**
   * Reads {@code tokenizer.json}. Special ids: those present in {@code special} (may be null), else the
   * {@code bos_token}, {@code eos_token} and {@code pad_token} of a {@code tokenizer_config.json} beside it,
   * looked up in the tokenizer's vocabulary.
   */
  public static HfTokenizer load(Path file, SpecialTokens special) {
    if (!Files.isRegularFile(file)) throw new TokenizerException(file, "no such tokenizer.json file");
    JsonObject json = readJson(file);
    Map<String, Integer> vocab = vocabulary(file, json);
    int size = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    SpecialTokens own = fromTokenizerConfig(file.resolveSibling("tokenizer_config.json"), vocab);
    SpecialTokens sp = special != null ? special.orElse(own) : own;
    HuggingFaceTokenizer t;
    try {
      t = HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "false", "truncation", "false",
          "padding", "false"));
    } catch (IOException | RuntimeException e) {
      throw new TokenizerException(file, "Hugging Face tokenizers rejected it: " + e.getMessage(), e);
    }
    return new HfTokenizer(file, t, size, sp);
  }

  static JsonObject readJson(Path file) {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      JsonElement e = JsonParser.parseReader(r);
      if (!e.isJsonObject()) throw new TokenizerException(file, "expected a JSON object, got " + kind(e));
      return e.getAsJsonObject();
    } catch (IOException e) {
      throw new TokenizerException(file, "cannot read: " + e.getMessage(), e);
    } catch (com.google.gson.JsonParseException e) {
      throw new TokenizerException(file, "not valid JSON: " + e.getMessage(), e);
    }
  }

  private static String kind(JsonElement e) {
    return e.isJsonArray() ? "an array" : e.isJsonNull() ? "null" : "a value";
  }

  /** Token text to id: the model's vocabulary (object or unigram's [piece, score] list) and the added tokens. */
  private static Map<String, Integer> vocabulary(Path file, JsonObject json) {
    Map<String, Integer> vocab = new HashMap<>();
    JsonObject model = json.has("model") && json.get("model").isJsonObject() ? json.getAsJsonObject("model") : null;
    if (model == null) throw new TokenizerException(file, "has no \"model\" object");
    JsonElement v = model.get("vocab");
    if (v != null && v.isJsonObject()) {
      for (Map.Entry<String, JsonElement> e : v.getAsJsonObject().entrySet()) vocab.put(e.getKey(), e.getValue().getAsInt());
    } else if (v != null && v.isJsonArray()) {
      int i = 0;
      for (JsonElement e : v.getAsJsonArray()) vocab.put(e.getAsJsonArray().get(0).getAsString(), i++);
    } else {
      throw new TokenizerException(file, "model has no \"vocab\"");
    }
    JsonElement added = json.get("added_tokens");
    if (added != null && added.isJsonArray()) {
      for (JsonElement e : added.getAsJsonArray()) {
        JsonObject o = e.getAsJsonObject();
        vocab.put(o.get("content").getAsString(), o.get("id").getAsInt());
      }
    }
    return vocab;
  }

  private static SpecialTokens fromTokenizerConfig(Path config, Map<String, Integer> vocab) {
    if (!Files.isRegularFile(config)) return SpecialTokens.none();
    JsonObject c = readJson(config);
    return new SpecialTokens(token(c, "bos_token", vocab), token(c, "eos_token", vocab), token(c, "pad_token", vocab));
  }

  /** A token given as a string or as {"content": ...}, as an id of the vocabulary. */
  private static OptionalInt token(JsonObject c, String key, Map<String, Integer> vocab) {
    JsonElement e = c.get(key);
    if (e == null || e.isJsonNull()) return OptionalInt.empty();
    String text = e.isJsonObject() && e.getAsJsonObject().has("content") ? e.getAsJsonObject().get("content").getAsString()
        : e.isJsonPrimitive() ? e.getAsString() : null;
    Integer id = text == null ? null : vocab.get(text);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  @Override
  public int[] encode(String text) {
    check();
    long[] ids = tokenizer.encode(text, false, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
    return out;
  }

  @Override
  public String decode(int[] ids) {
    check();
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) l[i] = ids[i];
    return tokenizer.decode(l, true);
  }

  @Override
  public int vocabSize() { return vocabSize; }

  @Override
  public SpecialTokens special() { return special; }

  private void check() {
    if (closed) throw new IllegalStateException("HfTokenizer(" + file + ") is closed");
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    tokenizer.close();
  }

  @Override
  public String toString() { return "HfTokenizer(" + file + ", " + vocabSize + " ids)"; }
}
