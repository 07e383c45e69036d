package org.xla4j.models.tokenizer;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import org.xla4j.models.tokenizer.proto.SentencePieceModelProtos.ModelProto;
import org.xla4j.models.tokenizer.proto.SentencePieceModelProtos.ModelProto.SentencePiece;
import org.xla4j.models.tokenizer.proto.SentencePieceModelProtos.NormalizerSpec;
import org.xla4j.models.tokenizer.proto.SentencePieceModelProtos.TrainerSpec;

/**
 * A SentencePiece {@code .model} file (its ModelProto read with protobuf-java), encoding as SentencePiece
 * does for the two model types language models ship: unigram (Viterbi: the segmentation with the largest
 * sum of piece scores) and BPE (repeatedly merge the adjacent pair whose joined piece scores highest,
 * leftmost first). Text is normalized first: extra spaces removed when {@code remove_extra_whitespaces},
 * a space prepended when {@code add_dummy_prefix} (appended with {@code treat_whitespace_as_suffix}),
 * spaces written as '▁' (U+2581). Characters no piece covers become their UTF-8 bytes' {@code <0xNN>}
 * pieces with {@code byte_fallback}, otherwise one {@code <unk>} per run. User-defined pieces always
 * encode as themselves.
 *
 * <p>Normalization rules: a model named {@code identity} or without a precompiled character map is not
 * normalized; otherwise Java's NFKC stands in for the map (which is not interpreted), with lower-casing
 * for the {@code *_cf} rules.
 *
 * <pre>{@code
 * try (Tokenizer tok = SentencePieceTokenizer.load(Path.of("tokenizer.model"))) {
 *   int[] ids = tok.encode("Hello world");       // "▁Hello", "▁world" for a typical model
 * }
 * }</pre>
 */
public final class SentencePieceTokenizer implements Tokenizer {
  /** SentencePiece's whitespace symbol. */
  public static final char SPACE = '\u2581';
  /** Unknown characters score this much below the lowest piece in unigram's Viterbi (SentencePiece's kUnkPenalty). */
  private static final float UNK_PENALTY = 10f;

  private enum Norm { NONE, NFKC, NFKC_CASEFOLD }

  private final Path source;
  private final boolean bpe;
  private final String[] pieces;
  private final float[] scores;
  private final SentencePiece.Type[] types;
  /** NORMAL pieces by text: what the model segments into. */
  private final Map<String, Integer> normal = new HashMap<>();
  /** USER_DEFINED pieces, longest first. */
  private final List<String> userDefined = new ArrayList<>();
  private final Map<String, Integer> userDefinedIds = new HashMap<>();
  private final int maxPieceChars;
  private final float unkScore;
  private final int unkId;
  private final String unkSurface;
  private final boolean byteFallback;
  private final int[] byteIds = new int[256];
  private final boolean addDummyPrefix;
  private final boolean removeExtraWhitespaces;
  private final boolean escapeWhitespaces;
  private final boolean whitespaceAsSuffix;
  private final Norm norm;
  private final SpecialTokens special;

  private SentencePieceTokenizer(Path source, ModelProto m, SpecialTokens special) {
    this.source = source;
    TrainerSpec t = m.getTrainerSpec();
    NormalizerSpec n = m.getNormalizerSpec();
    int size = m.getPiecesCount();
    if (size == 0) throw new TokenizerException(source, "SentencePiece model has no pieces");
    this.bpe = switch (t.getModelType()) {
      case UNIGRAM -> false;
      case BPE -> true;
      case WORD, CHAR -> throw new TokenizerException(source, "SentencePiece model type " + t.getModelType()
          + " is not supported (UNIGRAM and BPE are)");
    };
    pieces = new String[size];
    scores = new float[size];
    types = new SentencePiece.Type[size];
    Arrays.fill(byteIds, -1);
    int maxChars = 1;
    float minScore = Float.POSITIVE_INFINITY;
    int unk = -1;
    for (int i = 0; i < size; i++) {
      SentencePiece p = m.getPieces(i);
      pieces[i] = p.getPiece();
      scores[i] = p.getScore();
      types[i] = p.getType();
      switch (p.getType()) {
        case NORMAL -> {
          normal.putIfAbsent(p.getPiece(), i);
          maxChars = Math.max(maxChars, p.getPiece().length());
          minScore = Math.min(minScore, p.getScore());
        }
        case USER_DEFINED -> {
          if (!p.getPiece().isEmpty()) {
            userDefined.add(p.getPiece());
            userDefinedIds.putIfAbsent(p.getPiece(), i);
          }
        }
        case UNKNOWN -> unk = unk < 0 ? i : unk;
        case BYTE -> {
          int b = parseByte(p.getPiece());
          if (b < 0) throw new TokenizerException(source, "BYTE piece " + i + " is '" + p.getPiece() + "', not <0xNN>");
          byteIds[b] = i;
        }
        case CONTROL, UNUSED -> { }
      }
    }
    userDefined.sort((a, b) -> Integer.compare(b.length(), a.length()));
    maxPieceChars = maxChars;
    unkScore = (minScore == Float.POSITIVE_INFINITY ? 0f : minScore) - UNK_PENALTY;
    if (unk < 0) throw new TokenizerException(source, "SentencePiece model has no UNKNOWN piece");
    unkId = unk;
    unkSurface = t.getUnkSurface();
    byteFallback = t.getByteFallback();
    addDummyPrefix = n.getAddDummyPrefix();
    removeExtraWhitespaces = n.getRemoveExtraWhitespaces();
    escapeWhitespaces = n.getEscapeWhitespaces();
    whitespaceAsSuffix = t.getTreatWhitespaceAsSuffix();
    String name = n.getName();
    norm = name.equals("identity") || n.getPrecompiledCharsmap().isEmpty() ? Norm.NONE
        : name.endsWith("_cf") ? Norm.NFKC_CASEFOLD : Norm.NFKC;
    SpecialTokens own = new SpecialTokens(id(t.getBosId(), size), id(t.getEosId(), size), id(t.getPadId(), size));
    this.special = special != null ? special.orElse(own) : own;
  }

  /** Reads a {@code .model} file; BOS, EOS and pad come from its trainer spec. */
  public static SentencePieceTokenizer load(Path file) { return load(file, null); }

  /** Reads a {@code .model} file; ids present in {@code special} replace the file's own (null: the file's own). */
  public static SentencePieceTokenizer load(Path file, SpecialTokens special) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new TokenizerException(file, "no such SentencePiece model file", e);
    } catch (IOException e) {
      throw new TokenizerException(file, "cannot read the SentencePiece model: " + e.getMessage(), e);
    }
    ModelProto m;
    try {
      m = ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new TokenizerException(file, "not a SentencePiece model (protobuf ModelProto): " + e.getMessage(), e);
    }
    return of(file, m, special);
  }

  /** A tokenizer over a parsed model; {@code source} names it in errors. */
  public static SentencePieceTokenizer of(Path source, ModelProto model, SpecialTokens special) {
    return new SentencePieceTokenizer(source, model, special);
  }

  private static OptionalInt id(int id, int size) { return id >= 0 && id < size ? OptionalInt.of(id) : OptionalInt.empty(); }

  /** {@code <0x41>} -> 0x41; -1 if not of that form. */
  private static int parseByte(String p) {
    if (p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>') return -1;
    try {
      return Integer.parseInt(p.substring(3, 5), 16);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Whether this is a BPE model (otherwise unigram). */
  public boolean isBpe() { return bpe; }

  /** The piece text of {@code id} (e.g. "▁the", "<0x0A>", "<s>"). */
  public String piece(int id) { return pieces[id]; }

  /** The model file this was read from. */
  public Path source() { return source; }

  // ---- encoding ----

  @Override
  public int[] encode(String text) {
    String s = normalize(text);
    List<Integer> out = new ArrayList<>();
    int runStart = 0;
    int i = 0;
    while (i < s.length()) {
      String ud = userDefinedAt(s, i);
      if (ud != null) {
        encodeRun(s.substring(runStart, i), out);
        out.add(userDefinedIds.get(ud));
        i += ud.length();
        runStart = i;
      } else {
        i += Character.charCount(s.codePointAt(i));
      }
    }
    encodeRun(s.substring(runStart), out);
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The normalized text the model segments: '▁' for spaces, with the dummy prefix. */
  String normalize(String text) {
    String s = switch (norm) {
      case NONE -> text;
      case NFKC -> Normalizer.normalize(text, Normalizer.Form.NFKC);
      case NFKC_CASEFOLD -> Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    };
    if (removeExtraWhitespaces) s = s.strip().replaceAll(" {2,}", " ");
    if (s.isEmpty()) return s;
    if (addDummyPrefix) s = whitespaceAsSuffix ? s + " " : " " + s;
    return escapeWhitespaces ? s.replace(' ', SPACE) : s;
  }

  private String userDefinedAt(String s, int i) {
    for (String u : userDefined) if (s.startsWith(u, i)) return u;
    return null;
  }

  private void encodeRun(String run, List<Integer> out) {
    if (run.isEmpty()) return;
    List<String> unknownOrPieces = new ArrayList<>();
    List<Integer> ids = new ArrayList<>();
    if (bpe) bpe(run, ids, unknownOrPieces);
    else viterbi(run, ids, unknownOrPieces);
    boolean prevUnk = false;
    for (int k = 0; k < ids.size(); k++) {
      int id = ids.get(k);
      if (id >= 0) {
        out.add(id);
        prevUnk = false;
        continue;
      }
      String surface = unknownOrPieces.get(k);
      int[] bytes = byteFallback ? bytePieces(surface) : null;
      if (bytes != null) {
        for (int b : bytes) out.add(b);
        prevUnk = false;
      } else if (!prevUnk) {
        // consecutive unknown characters become one <unk>, as SentencePiece merges them
        out.add(unkId);
        prevUnk = true;
      }
    }
  }

  /** The {@code <0xNN>} ids of {@code s}'s UTF-8 bytes, or null if a byte piece is missing. */
  private int[] bytePieces(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      ids[i] = byteIds[b[i] & 0xff];
      if (ids[i] < 0) return null;
    }
    return ids;
  }

  /** Unigram: best-scoring segmentation; an id of -1 marks an unknown character (its text in {@code surfaces}). */
  private void viterbi(String s, List<Integer> ids, List<String> surfaces) {
    int n = s.length();
    double[] best = new double[n + 1];
    int[] fromPos = new int[n + 1];
    int[] fromId = new int[n + 1];
    Arrays.fill(best, Double.NEGATIVE_INFINITY);
    best[0] = 0;
    for (int i = 0; i < n; i = next(s, i)) {
      if (best[i] == Double.NEGATIVE_INFINITY) continue;
      int oneChar = next(s, i);
      boolean single = false;
      for (int j = oneChar; j <= n && j - i <= maxPieceChars; j = next(s, j)) {
        Integer id = normal.get(s.substring(i, j));
        if (id != null) {
          if (j == oneChar) single = true;
          relax(best, fromPos, fromId, i, j, id, best[i] + scores[id]);
        }
        if (j == n) break;
      }
      if (!single) relax(best, fromPos, fromId, i, oneChar, -1, best[i] + unkScore);
    }
    List<int[]> path = new ArrayList<>();
    for (int j = n; j > 0; j = fromPos[j]) path.add(new int[] {fromPos[j], j, fromId[j]});
    for (int k = path.size() - 1; k >= 0; k--) {
      int[] e = path.get(k);
      ids.add(e[2]);
      surfaces.add(s.substring(e[0], e[1]));
    }
  }

  private static void relax(double[] best, int[] fromPos, int[] fromId, int i, int j, int id, double score) {
    // strictly greater: among equal scores the first found (shorter pieces from the earliest start) stays
    if (score > best[j]) {
      best[j] = score;
      fromPos[j] = i;
      fromId[j] = id;
    }
  }

  private static int next(String s, int i) { return i + Character.charCount(s.codePointAt(i)); }

  /** A candidate merge of symbols {@code left} and {@code right} into a piece of {@code length} chars. */
  private record Merge(float score, int left, int right, int length) {}

  /** BPE: characters merged pairwise by piece score, highest first, leftmost among equals. */
  private void bpe(String s, List<Integer> ids, List<String> surfaces) {
    int n = s.codePointCount(0, s.length());
    int[] start = new int[n];
    int[] end = new int[n];
    int[] prev = new int[n];
    int[] nextSym = new int[n];
    for (int k = 0, i = 0; k < n; k++) {
      start[k] = i;
      i = next(s, i);
      end[k] = i;
      prev[k] = k - 1;
      nextSym[k] = k + 1 < n ? k + 1 : -1;
    }
    PriorityQueue<Merge> agenda = new PriorityQueue<>((a, b) -> a.score() != b.score()
        ? Float.compare(b.score(), a.score()) : Integer.compare(a.left(), b.left()));
    for (int k = 0; k + 1 < n; k++) offer(s, start, end, k, k + 1, agenda);
    boolean[] dead = new boolean[n];
    while (!agenda.isEmpty()) {
      Merge m = agenda.poll();
      int l = m.left();
      int r = m.right();
      // stale: a symbol was merged away or grew since this pair was offered
      if (dead[l] || dead[r] || nextSym[l] != r || end[r] - start[l] != m.length()) continue;
      end[l] = end[r];
      dead[r] = true;
      nextSym[l] = nextSym[r];
      if (nextSym[r] >= 0) prev[nextSym[r]] = l;
      if (prev[l] >= 0) offer(s, start, end, prev[l], l, agenda);
      if (nextSym[l] >= 0) offer(s, start, end, l, nextSym[l], agenda);
    }
    for (int k = 0; k >= 0 && k < n; k = nextSym[k]) {
      String sym = s.substring(start[k], end[k]);
      Integer id = normal.get(sym);
      ids.add(id == null ? -1 : id);
      surfaces.add(sym);
    }
  }

  private void offer(String s, int[] start, int[] end, int l, int r, PriorityQueue<Merge> agenda) {
    if (end[r] - start[l] > maxPieceChars) return;
    Integer id = normal.get(s.substring(start[l], end[r]));
    if (id != null) agenda.add(new Merge(scores[id], l, r, end[r] - start[l]));
  }

  // ---- decoding ----

  @Override
  public String decode(int[] ids) {
    StringBuilder out = new StringBuilder();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int id : ids) {
      if (id < 0 || id >= pieces.length) continue;
      switch (types[id]) {
        case CONTROL, UNUSED -> { }
        case BYTE -> bytes.write(parseByte(pieces[id]));
        case UNKNOWN -> {
          flush(bytes, out);
          out.append(unkSurface);
        }
        case NORMAL, USER_DEFINED -> {
          flush(bytes, out);
          out.append(escapeWhitespaces ? pieces[id].replace(SPACE, ' ') : pieces[id]);
        }
      }
    }
    flush(bytes, out);
    if (addDummyPrefix && !out.isEmpty()) {
      // the dummy prefix that encoding added
      if (!whitespaceAsSuffix && out.charAt(0) == ' ') out.deleteCharAt(0);
      else if (whitespaceAsSuffix && out.charAt(out.length() - 1) == ' ') out.deleteCharAt(out.length() - 1);
    }
    return out.toString();
  }

  private static void flush(ByteArrayOutputStream bytes, StringBuilder out) {
    if (bytes.size() == 0) return;
    // invalid UTF-8 (a model's stray bytes) decodes to U+FFFD rather than failing
    out.append(bytes.toString(StandardCharsets.UTF_8));
    bytes.reset();
  }

  @Override
  public int vocabSize() { return pieces.length; }

  @Override
  public SpecialTokens special() { return special; }

  @Override
  public void close() {}

  @Override
  public String toString() {
    return "SentencePieceTokenizer(" + source + ", " + (bpe ? "BPE" : "unigram") + ", " + pieces.length + " pieces)";
  }
}
