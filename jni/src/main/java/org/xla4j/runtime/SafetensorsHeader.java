package org.xla4j.runtime;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * The parsed and validated header of one safetensors file. Validation follows the format's rules (as
 * the reference implementation enforces them): the header fits the file; every entry has a known
 * dtype, a shape of non-negative integers and {@code data_offsets} [begin, end] of integers whose span
 * is exactly dtype x shape bytes; sorted by begin, the tensors cover the data section from byte 0 to
 * its end with no hole, no overlap and nothing after the last one.
 */
record SafetensorsHeader(Path file, List<TensorInfo> tensors, Map<String, String> metadata, long dataStart, long fileSize) {
  static final String METADATA = "__metadata__";
  /** The reference implementation refuses headers above 100 MB; so do we, before allocating. */
  static final long MAX_HEADER = 100L << 20;
  /** A JSON integer literal without sign, fraction or exponent. */
  private static final Pattern NATURAL = Pattern.compile("0|[1-9][0-9]*");

  static SafetensorsHeader read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return read(file, ch);
    }
  }

  static SafetensorsHeader read(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size < 8) throw malformed(file, "file is " + size + " bytes, shorter than the 8-byte header length");
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(file, ch, lenBuf, 0);
    long n = lenBuf.flip().getLong();
    if (n < 2 || n > MAX_HEADER || n > size - 8) {
      throw malformed(file, "header length " + n + " does not fit a " + size + "-byte file (at most "
          + Math.min(MAX_HEADER, size - 8) + " bytes of header)");
    }
    ByteBuffer text = ByteBuffer.allocate((int) n);
    readFully(file, ch, text, 8);
    String json;
    try {
      json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(text.flip()).toString();
    } catch (CharacterCodingException e) {
      throw malformed(file, "header is not UTF-8 text");
    }
    JsonObject root;
    try {
      JsonElement e = JsonParser.parseString(json);
      if (!e.isJsonObject()) throw malformed(file, "header is not a JSON object");
      root = e.getAsJsonObject();
    } catch (JsonParseException | IllegalStateException ex) {
      throw malformed(file, "header is not valid JSON (" + ex.getMessage() + ")");
    }
    long dataStart = 8 + n;
    List<TensorInfo> tensors = new ArrayList<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : root.entrySet()) {
      if (e.getKey().equals(METADATA)) metadata = metadata(file, e.getValue());
      else tensors.add(entry(file, dataStart, e.getKey(), e.getValue()));
    }
    tensors.sort(Comparator.comparingLong(TensorInfo::offset).thenComparingLong(TensorInfo::byteSize));
    checkLayout(file, tensors, dataStart, size);
    return new SafetensorsHeader(file, List.copyOf(tensors), Map.copyOf(metadata), dataStart, size);
  }

  /** Contiguous from the start of the data section to the end of the file: no hole, overlap or tail. */
  private static void checkLayout(Path file, List<TensorInfo> sorted, long dataStart, long size) throws IOException {
    long at = dataStart; // where the next tensor must begin
    TensorInfo prev = null;
    for (TensorInfo t : sorted) {
      if (t.offset() < at) {
        throw malformed(file, "tensors '" + prev.name() + "' " + relative(prev, dataStart) + " and '" + t.name() + "' "
            + relative(t, dataStart) + " overlap");
      }
      if (t.offset() > at) {
        throw malformed(file, "tensor '" + t.name() + "' " + relative(t, dataStart) + " leaves a hole of "
            + (t.offset() - at) + " bytes " + (prev == null ? "at the start of the data section"
            : "after tensor '" + prev.name() + "' " + relative(prev, dataStart)));
      }
      if (t.end() > size) {
        throw malformed(file, "tensor '" + t.name() + "' " + relative(t, dataStart) + " runs past the end of the "
            + "data section (" + (size - dataStart) + " bytes)");
      }
      at = t.end();
      prev = t;
    }
    if (at != size) {
      throw malformed(file, (size - at) + " bytes after the end of the last tensor"
          + (prev == null ? " (the header names no tensor)" : " '" + prev.name() + "' " + relative(prev, dataStart))
          + "; the data section must end with the last tensor");
    }
  }

  private static String relative(TensorInfo t, long dataStart) {
    return "data_offsets [" + (t.offset() - dataStart) + ", " + (t.end() - dataStart) + "]";
  }

  private static TensorInfo entry(Path file, long dataStart, String name, JsonElement v) throws IOException {
    if (name.isEmpty()) throw malformed(file, "a tensor has an empty name");
    if (!v.isJsonObject()) throw bad(file, name, "its entry " + v + " is not a JSON object");
    JsonObject o = v.getAsJsonObject();

    JsonElement dt = o.get("dtype");
    if (dt == null) throw bad(file, name, "has no \"dtype\"");
    if (!(dt instanceof JsonPrimitive p) || !p.isString()) throw bad(file, name, "dtype " + dt + " is not a string");
    DType dtype = null;
    for (DType d : DType.values()) if (d.safetensorsName().equals(dt.getAsString())) dtype = d;
    if (dtype == null) {
      throw bad(file, name, "has unknown dtype " + dt + "; known: "
          + Arrays.stream(DType.values()).map(DType::safetensorsName).toList());
    }

    JsonElement sh = o.get("shape");
    if (sh == null) throw bad(file, name, "has no \"shape\"");
    if (!sh.isJsonArray()) throw bad(file, name, "shape " + sh + " is not a JSON array");
    JsonArray shapeJson = sh.getAsJsonArray();
    long[] dims = new long[shapeJson.size()];
    for (int i = 0; i < dims.length; i++) {
      JsonElement d = shapeJson.get(i);
      dims[i] = natural(d, () -> bad(file, name, "shape " + sh + " entry " + d + " is not a non-negative integer"));
    }
    TensorType type = new TensorType(dtype, Shape.of(dims));
    long bytes;
    try {
      bytes = type.byteSize();
    } catch (ArithmeticException overflow) {
      throw bad(file, name, "shape " + sh + " of " + dtype.safetensorsName() + " has more than 2^63 bytes");
    }

    JsonElement off = o.get("data_offsets");
    if (off == null) throw bad(file, name, "has no \"data_offsets\" (expected [begin, end])");
    if (!off.isJsonArray() || off.getAsJsonArray().size() != 2) {
      throw bad(file, name, "data_offsets " + off + " is not a [begin, end] pair");
    }
    JsonArray pair = off.getAsJsonArray();
    long begin = natural(pair.get(0), () -> bad(file, name, "data_offsets " + off + " begin is not a non-negative integer"));
    long end = natural(pair.get(1), () -> bad(file, name, "data_offsets " + off + " end is not a non-negative integer"));
    if (end < begin) throw bad(file, name, "data_offsets " + off + " end before begin");
    if (end - begin != bytes) {
      throw bad(file, name, "data_offsets " + off + " span " + (end - begin) + " bytes, but " + type.dtype()
          + Arrays.toString(dims) + " needs " + bytes + " (" + type.numElements() + " x " + dtype.byteSize() + ")");
    }
    if (begin > Long.MAX_VALUE - dataStart) throw bad(file, name, "data_offsets " + off + " too large");
    return new TensorInfo(name, type, file, dataStart + begin, bytes);
  }

  private interface Failure {
    IOException get();
  }

  private static long natural(JsonElement e, Failure fail) throws IOException {
    if (!(e instanceof JsonPrimitive p) || !p.isNumber() || !NATURAL.matcher(p.getAsString()).matches()) throw fail.get();
    try {
      return Long.parseLong(p.getAsString());
    } catch (NumberFormatException tooLarge) {
      throw fail.get();
    }
  }

  private static Map<String, String> metadata(Path file, JsonElement v) throws IOException {
    if (!v.isJsonObject()) throw malformed(file, "__metadata__ must be an object of strings, got " + v);
    Map<String, String> m = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : v.getAsJsonObject().entrySet()) {
      if (!(e.getValue() instanceof JsonPrimitive p) || !p.isString()) {
        throw malformed(file, "__metadata__ value for '" + e.getKey() + "' is not a string: " + e.getValue());
      }
      m.put(e.getKey(), p.getAsString());
    }
    return m;
  }

  static void readFully(Path file, FileChannel ch, ByteBuffer dst, long position) throws IOException {
    long pos = position;
    while (dst.hasRemaining()) {
      int r = ch.read(dst, pos);
      if (r < 0) throw malformed(file, "unexpected end of file at byte " + pos);
      pos += r;
    }
  }

  static IOException malformed(Path file, String why) {
    return new IOException("malformed safetensors file " + file + ": " + why);
  }

  private static IOException bad(Path file, String tensor, String why) {
    return malformed(file, "tensor '" + tensor + "' " + why);
  }
}
