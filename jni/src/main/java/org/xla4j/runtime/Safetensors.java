package org.xla4j.runtime;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format:
 * an 8-byte little-endian header length, a JSON header ({@code name -> {dtype, shape, data_offsets}},
 * optional {@code __metadata__} of strings), then the tensors' raw little-endian bytes. These static
 * helpers copy tensors onto the Java heap; for large or sharded checkpoints use
 * {@link SafetensorsReader}, which maps the files and reads nothing until asked.
 *
 * <pre>{@code
 * Safetensors.write(path, Map.of("w", HostTensor.of(new float[] {1, 2}, 2)));
 * HostTensor w = Safetensors.read(path, "w");
 * Map<String, TensorType> index = Safetensors.index(path);   // header only, no data read
 * Safetensors.write(out, params);                             // a Tree<HostTensor>: names = paths
 * }</pre>
 */
public final class Safetensors {
  private Safetensors() {}

  /** Every tensor in the file (copied onto the heap), in the order their data lies in the file. */
  public static Map<String, HostTensor> read(Path file) throws IOException {
    try (SafetensorsReader r = SafetensorsReader.open(file)) {
      Map<String, HostTensor> out = new LinkedHashMap<>();
      for (TensorInfo t : r.tensors()) out.put(t.name(), r.copy(t.name()));
      return out;
    }
  }

  /** One tensor by name (copied onto the heap); the error lists the names the file does have. */
  public static HostTensor read(Path file, String name) throws IOException {
    try (SafetensorsReader r = SafetensorsReader.open(file)) {
      return r.copy(name);
    }
  }

  /** Names and types of the tensors, in data order, reading only the header. */
  public static Map<String, TensorType> index(Path file) throws IOException {
    Map<String, TensorType> out = new LinkedHashMap<>();
    for (TensorInfo t : SafetensorsHeader.read(file).tensors()) out.put(t.name(), t.type());
    return out;
  }

  /** The {@code __metadata__} strings (empty when the file has none). */
  public static Map<String, String> metadata(Path file) throws IOException {
    return SafetensorsHeader.read(file).metadata();
  }

  /** Writes the tensors in map order, without metadata. */
  public static void write(Path file, Map<String, HostTensor> tensors) throws IOException {
    write(file, tensors, Map.of());
  }

  /** Writes a tree's leaves in its flatten order, each named by its path. */
  public static void write(Path file, Tree<HostTensor> tree) throws IOException {
    write(file, tree, Function.identity(), Map.of());
  }

  /**
   * Writes a tree's leaves in its flatten order, each named {@code nameOf.apply(path)} (e.g. back to
   * a checkpoint's own names), with {@code __metadata__} strings. Two paths mapped to one name throw.
   */
  public static void write(Path file, Tree<HostTensor> tree, Function<String, String> nameOf, Map<String, String> metadata)
      throws IOException {
    Map<String, HostTensor> named = new LinkedHashMap<>();
    Map<String, String> pathOf = new LinkedHashMap<>();
    for (Tree.Leaf<HostTensor> leaf : tree) {
      String name = nameOf.apply(leaf.path());
      String before = pathOf.put(name, leaf.path());
      if (before != null) {
        throw new IllegalArgumentException("safetensors write to " + file + ": paths '" + before + "' and '"
            + leaf.path() + "' both map to tensor name '" + name + "'");
      }
      named.put(name, leaf.value());
    }
    write(file, named, metadata);
  }

  /** Writes the tensors in map order, with {@code __metadata__} strings. Views of any size are written. */
  public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata)
      throws IOException {
    JsonObject json = new JsonObject();
    if (!metadata.isEmpty()) {
      JsonObject m = new JsonObject();
      metadata.forEach(m::addProperty);
      json.add(SafetensorsHeader.METADATA, m);
    }
    long offset = 0;
    for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
      String name = e.getKey();
      if (name.isEmpty() || name.equals(SafetensorsHeader.METADATA)) {
        throw new IllegalArgumentException("invalid safetensors tensor name '" + name + "' for " + file);
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
      for (HostTensor t : tensors.values()) writeSegment(ch, t.segment());
    }
  }

  /** In chunks, since one ByteBuffer holds at most 2 GiB. */
  private static void writeSegment(FileChannel ch, MemorySegment s) throws IOException {
    final long chunk = 1L << 30;
    for (long at = 0; at < s.byteSize(); at += chunk) {
      writeFully(ch, s.asSlice(at, Math.min(chunk, s.byteSize() - at)).asByteBuffer());
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer src) throws IOException {
    while (src.hasRemaining()) ch.write(src);
  }
}
