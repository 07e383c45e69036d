package org.xla4j.models.checkpoint;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xla4j.types.TensorType;

/**
 * Writes one safetensors file tensor by tensor, so a checkpoint larger than memory can be written: the header
 * (every name, dtype and shape, in order) goes first, then each tensor's little-endian bytes in that order.
 * Closing checks that every announced tensor was written.
 *
 * <pre>{@code
 * try (SafetensorsStream s = SafetensorsStream.create(file, Map.of("w", TensorType.of(DType.I8, 4, 8)))) {
 *   s.write("w", MemorySegment.ofArray(bytes));
 * }
 * }</pre>
 */
public final class SafetensorsStream implements AutoCloseable {
  private final Path file;
  private final FileChannel channel;
  private final List<Map.Entry<String, TensorType>> plan;
  private int next;

  private SafetensorsStream(Path file, FileChannel channel, List<Map.Entry<String, TensorType>> plan) {
    this.file = file;
    this.channel = channel;
    this.plan = plan;
  }

  /** Creates (or truncates) {@code file} and writes the header of {@code tensors}, in map order. */
  public static SafetensorsStream create(Path file, Map<String, TensorType> tensors) throws IOException {
    JsonObject json = new JsonObject();
    long offset = 0;
    for (Map.Entry<String, TensorType> e : tensors.entrySet()) {
      if (e.getKey().isEmpty() || e.getKey().equals("__metadata__")) {
        throw new IllegalArgumentException("invalid safetensors tensor name '" + e.getKey() + "' for " + file);
      }
      JsonObject o = new JsonObject();
      o.addProperty("dtype", e.getValue().dtype().safetensorsName());
      JsonArray shape = new JsonArray();
      for (long d : e.getValue().shape().dims()) shape.add(d);
      o.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offset += e.getValue().byteSize();
      offsets.add(offset);
      o.add("data_offsets", offsets);
      json.add(e.getKey(), o);
    }
    byte[] text = json.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (text.length + 7) & ~7; // the data starts 8-byte aligned, as the reference writer has it
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(text);
    while (head.hasRemaining()) head.put((byte) ' ');
    head.flip();
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
    try {
      while (head.hasRemaining()) ch.write(head);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return new SafetensorsStream(file, ch, List.copyOf(new LinkedHashMap<>(tensors).entrySet()));
  }

  /**
   * Writes the next tensor's bytes.
   *
   * @throws IllegalStateException when {@code name} is not the next announced tensor or its size differs
   */
  public void write(String name, MemorySegment bytes) throws IOException {
    if (next >= plan.size() || !plan.get(next).getKey().equals(name)) {
      throw new IllegalStateException("safetensors stream " + file + ": expected "
          + (next < plan.size() ? "tensor '" + plan.get(next).getKey() + "'" : "no more tensors") + ", got '" + name + "'");
    }
    TensorType t = plan.get(next).getValue();
    if (bytes.byteSize() != t.byteSize()) {
      throw new IllegalStateException("safetensors stream " + file + ": tensor '" + name + "' " + t + " has "
          + t.byteSize() + " bytes, got " + bytes.byteSize());
    }
    final long chunk = 1L << 30; // one ByteBuffer holds at most 2 GiB
    for (long at = 0; at < bytes.byteSize(); at += chunk) {
      ByteBuffer b = bytes.asSlice(at, Math.min(chunk, bytes.byteSize() - at)).asByteBuffer();
      while (b.hasRemaining()) channel.write(b);
    }
    next++;
  }

  /** The announced tensors not written yet. */
  public List<String> missing() {
    List<String> out = new ArrayList<>();
    for (int i = next; i < plan.size(); i++) out.add(plan.get(i).getKey());
    return out;
  }

  /**
   * Closes the file.
   *
   * @throws IllegalStateException when announced tensors were not written (the file is then incomplete)
   */
  @Override
  public void close() throws IOException {
    channel.close();
    if (next < plan.size()) {
      throw new IllegalStateException("safetensors stream " + file + " closed before tensors " + missing()
          + " were written");
    }
  }
}
