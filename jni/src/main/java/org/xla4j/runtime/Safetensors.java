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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format:
 * an 8-byte little-endian header length, a JSON header ({@code name -> {dtype, shape, data_offsets}},
 * optional {@code __metadata__} of strings), then the tensors' raw little-endian bytes.
 *
 * <pre>{@code
 * Safetensors.write(path, Map.of("w", HostTensor.of(new float[] {1, 2}, 2)));
 * HostTensor w = Safetensors.read(path, "w");
 * Map<String, TensorType> index = Safetensors.index(path);   // header only, no data read
 * }</pre>
 */
public final class Safetensors {
  private Safetensors() {}

  private static final String METADATA = "__metadata__";
  /** The reference implementation refuses headers above 100 MB; so do we, before allocating. */
  private static final long MAX_HEADER = 100L << 20;

  /** One header entry: where a tensor's bytes lie, relative to the start of the data section. */
  private record Entry(String name, TensorType type, long begin, long end) {}

  /** Every tensor in the file, in the order their data lies in the file. */
  public static Map<String, HostTensor> read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Header h = readHeader(file, ch);
      Map<String, HostTensor> out = new LinkedHashMap<>();
      for (Entry e : h.entries) out.put(e.name, readData(ch, h.dataStart, e));
      return out;
    }
  }

  /** One tensor by name; the error lists the names the file does have. */
  public static HostTensor read(Path file, String name) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Header h = readHeader(file, ch);
      for (Entry e : h.entries) {
        if (e.name.equals(name)) return readData(ch, h.dataStart, e);
      }
      throw new IllegalArgumentException("safetensors file " + file + " has no tensor '" + name
          + "'; it has " + h.entries.stream().map(Entry::name).toList());
    }
  }

  /** Names and types of the tensors, in data order, reading only the header. */
  public static Map<String, TensorType> index(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Map<String, TensorType> out = new LinkedHashMap<>();
      for (Entry e : readHeader(file, ch).entries) out.put(e.name, e.type);
      return out;
    }
  }

  /** The {@code __metadata__} strings (empty when the file has none). */
  public static Map<String, String> metadata(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return readHeader(file, ch).metadata;
    }
  }

  /** Writes the tensors in map order, without metadata. */
  public static void write(Path file, Map<String, HostTensor> tensors) throws IOException {
    write(file, tensors, Map.of());
  }

  /** Writes the tensors in map order, with {@code __metadata__} strings. */
  public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata)
      throws IOException {
    JsonObject json = new JsonObject();
    if (!metadata.isEmpty()) {
      JsonObject m = new JsonObject();
      metadata.forEach(m::addProperty);
      json.add(METADATA, m);
    }
    long offset = 0;
    for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
      String name = e.getKey();
      if (name.isEmpty() || name.equals(METADATA)) {
        throw new IllegalArgumentException("invalid safetensors tensor name '" + name + "'");
      }
      HostTensor t = e.getValue();
      JsonObject o = new JsonObject();
      o.addProperty("dtype", t.dtype().safetensorsName());
      JsonArray shape = new JsonArray();
      for (long d : t.shape().dims()) shape.add(d);
      o.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offset += t.type().byteSize();
      offsets.add(offset);
      o.add("data_offsets", offsets);
      json.add(name, o);
    }
    byte[] text = json.toString().getBytes(StandardCharsets.UTF_8);
    // pad with spaces so the data section starts 8-byte aligned, as the reference writer does
    int padded = (text.length + 7) & ~7;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(text);
    while (head.hasRemaining()) head.put((byte) ' ');
    head.flip();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      writeFully(ch, head);
      for (HostTensor t : tensors.values()) writeFully(ch, t.byteBuffer());
    }
  }

  // ---------------------------------------------------------------- header parsing

  private record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

  private static Header readHeader(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size < 8) throw malformed(file, "file is " + size + " bytes, shorter than the 8-byte header length");
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, lenBuf, 0);
    long n = lenBuf.flip().getLong();
    if (n < 2 || n > MAX_HEADER || 8 + n > size) {
      throw malformed(file, "header length " + n + " does not fit a " + size + "-byte file");
    }
    ByteBuffer text = ByteBuffer.allocate((int) n);
    readFully(ch, text, 8);
    JsonObject json;
    try {
      JsonElement root = JsonParser.parseString(new String(text.array(), StandardCharsets.UTF_8));
      if (!root.isJsonObject()) throw malformed(file, "header is not a JSON object");
      json = root.getAsJsonObject();
    } catch (JsonParseException | IllegalStateException ex) {
      throw malformed(file, "header is not valid JSON (" + ex.getMessage() + ")");
    }
    long dataStart = 8 + n;
    List<Entry> entries = new ArrayList<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : json.entrySet()) {
      if (e.getKey().equals(METADATA)) metadata = metadata(file, e.getValue());
      else entries.add(entry(file, e.getKey(), e.getValue()));
    }
    entries.sort(Comparator.comparingLong(Entry::begin));
    long dataSize = size - dataStart;
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      if (e.end > dataSize) {
        throw malformed(file, "tensor '" + e.name + "' data_offsets [" + e.begin + ", " + e.end
            + "] run past the data section (" + dataSize + " bytes)");
      }
      if (i > 0 && entries.get(i - 1).end > e.begin) {
        throw malformed(file, "tensors '" + entries.get(i - 1).name + "' and '" + e.name + "' overlap");
      }
    }
    return new Header(List.copyOf(entries), Map.copyOf(metadata), dataStart);
  }

  private static Entry entry(Path file, String name, JsonElement v) throws IOException {
    try {
      JsonObject o = v.getAsJsonObject();
      DType dtype = DType.fromSafetensorsName(o.get("dtype").getAsString());
      JsonArray shapeJson = o.getAsJsonArray("shape");
      long[] dims = new long[shapeJson.size()];
      for (int i = 0; i < dims.length; i++) dims[i] = shapeJson.get(i).getAsLong();
      TensorType type = new TensorType(dtype, Shape.of(dims));
      JsonArray off = o.getAsJsonArray("data_offsets");
      if (off.size() != 2) throw malformed(file, "tensor '" + name + "' data_offsets must have 2 entries");
      long begin = off.get(0).getAsLong();
      long end = off.get(1).getAsLong();
      if (begin < 0 || end < begin) {
        throw malformed(file, "tensor '" + name + "' has invalid data_offsets [" + begin + ", " + end + "]");
      }
      if (end - begin != type.byteSize()) {
        throw malformed(file, "tensor '" + name + "' data_offsets [" + begin + ", " + end + "] span "
            + (end - begin) + " bytes, but " + type + " needs " + type.byteSize());
      }
      return new Entry(name, type, begin, end);
    } catch (IOException ex) {
      throw ex;
    } catch (RuntimeException ex) { // missing field, wrong JSON kind, unknown dtype, negative dim
      throw malformed(file, "tensor '" + name + "' has a bad header entry " + v + " (" + ex.getMessage() + ")");
    }
  }

  private static Map<String, String> metadata(Path file, JsonElement v) throws IOException {
    if (!v.isJsonObject()) throw malformed(file, "__metadata__ must be an object of strings");
    Map<String, String> m = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : v.getAsJsonObject().entrySet()) {
      if (!(e.getValue() instanceof JsonPrimitive p) || !p.isString()) {
        throw malformed(file, "__metadata__ value for '" + e.getKey() + "' is not a string");
      }
      m.put(e.getKey(), p.getAsString());
    }
    return m;
  }

  // ---------------------------------------------------------------- I/O helpers

  private static HostTensor readData(FileChannel ch, long dataStart, Entry e) throws IOException {
    long n = e.type.byteSize();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IOException("tensor '" + e.name + "' is " + n + " bytes; HostTensor holds at most 2 GiB");
    }
    byte[] b = new byte[(int) n];
    readFully(ch, ByteBuffer.wrap(b), dataStart + e.begin);
    return HostTensor.wrap(e.type, b);
  }

  private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
    long pos = position;
    while (dst.hasRemaining()) {
      int r = ch.read(dst, pos);
      if (r < 0) throw new IOException("unexpected end of file at byte " + pos);
      pos += r;
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer src) throws IOException {
    while (src.hasRemaining()) ch.write(src);
  }

  private static IOException malformed(Path file, String why) {
    return new IOException("malformed safetensors file " + file + ": " + why);
  }
}
