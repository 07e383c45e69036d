package org.xla4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.xla4j.runtime.SafetensorsReader;

/**
 * Writes a synthetic sharded bf16 checkpoint of transformer-like tensors (per layer: a norm [h], an
 * attention projection [h, h], an expert slice [h, 16h/3]; h = 6144 gives [6144, 32768], one slice of
 * an 8 x 6144 x 32768 MoE weight) for the checkpoint upload benchmark. Streams the data (random finite
 * bf16 values), so any size fits in little memory; h shrinks for small sizes so about {@code tensors}
 * tensors are written.
 *
 * <pre>{@code
 * SyntheticCheckpoint.write(Path.of("/tmp/ckpt"), 4L << 30, 27, 2, System.out);
 * }</pre>
 */
final class SyntheticCheckpoint {
  private static final long MAX_HIDDEN = 6144;

  private SyntheticCheckpoint() {}

  private record Tensor(String name, long[] shape) {
    long bytes() {
      long n = 2;
      for (long d : shape) n *= d;
      return n;
    }
  }

  /** The tensors: whole layers until {@code bytes} is reached. */
  static List<Tensor> plan(long bytes, int tensors) {
    if (bytes <= 0 || tensors < 1) throw new IllegalArgumentException("make-checkpoint: needs --bytes > 0 and --tensors >= 1, got "
        + bytes + " and " + tensors);
    long layers = Math.max(1, tensors / 3);
    // a layer holds 2 (h + h^2 + 16h^2/3) bytes, about 12.67 h^2
    double h0 = Math.sqrt(bytes / (layers * 38.0 / 3));
    long h = Math.max(48, Math.min(MAX_HIDDEN, Math.round(h0 / 48) * 48)); // a multiple of 3 x 16: 16h/3 is whole
    List<Tensor> out = new ArrayList<>();
    long total = 0;
    for (int l = 0; total < bytes; l++) {
      for (Tensor t : List.of(new Tensor("model.layers." + l + ".norm.weight", new long[] {h}),
          new Tensor("model.layers." + l + ".attn.o_proj.weight", new long[] {h, h}),
          new Tensor("model.layers." + l + ".moe.expert.weight", new long[] {h, h * 16 / 3}))) {
        out.add(t);
        total += t.bytes();
      }
    }
    return out;
  }

  /** Writes the shards and {@value SafetensorsReader#INDEX} into {@code dir}; returns the total tensor bytes. */
  static long write(Path dir, long bytes, int tensors, int shards, PrintStream log) throws IOException {
    if (shards < 1) throw new IllegalArgumentException("make-checkpoint: --shards must be >= 1, got " + shards);
    List<Tensor> all = plan(bytes, tensors);
    long total = all.stream().mapToLong(Tensor::bytes).sum();
    Files.createDirectories(dir);
    StringBuilder index = new StringBuilder("{\"metadata\": {\"total_size\": " + total + "}, \"weight_map\": {");
    SplittableRandom rnd = new SplittableRandom(42);
    int next = 0;
    long written = 0;
    for (int s = 0; s < shards && next < all.size(); s++) {
      // balance by bytes: this shard takes tensors until its share of what is left is reached
      long share = (total - written) / (shards - s);
      List<Tensor> mine = new ArrayList<>();
      long mineBytes = 0;
      while (next < all.size() && (mine.isEmpty() || mineBytes < share || s == shards - 1)) {
        mineBytes += all.get(next).bytes();
        mine.add(all.get(next++));
      }
      String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
      writeShard(dir.resolve(file), mine, rnd);
      for (Tensor t : mine) index.append('"').append(t.name()).append("\": \"").append(file).append("\",");
      written += mineBytes;
      log.printf("make-checkpoint: %s: %d tensors, %.3f GiB%n", dir.resolve(file), mine.size(), mineBytes / (double) (1L << 30));
    }
    index.setLength(index.length() - 1);
    Files.writeString(dir.resolve(SafetensorsReader.INDEX), index.append("}}").toString());
    long h = all.get(0).shape()[0];
    log.printf("make-checkpoint: %s: %d bf16 tensors (hidden %d), %d bytes (%.3f GiB) in %d shard(s)%n", dir, all.size(), h,
        total, total / (double) (1L << 30), Math.min(shards, all.size()));
    return total;
  }

  private static void writeShard(Path file, List<Tensor> tensors, SplittableRandom rnd) throws IOException {
    StringBuilder h = new StringBuilder("{");
    long at = 0;
    for (Tensor t : tensors) {
      h.append('"').append(t.name()).append("\": {\"dtype\": \"BF16\", \"shape\": [");
      for (int i = 0; i < t.shape().length; i++) h.append(i > 0 ? ", " : "").append(t.shape()[i]);
      h.append("], \"data_offsets\": [").append(at).append(", ").append(at + t.bytes()).append("]},");
      at += t.bytes();
    }
    h.setLength(h.length() - 1);
    h.append('}');
    byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8; // data 8-byte aligned, as the format's writers do
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) head.put((byte) ' ');
    head.flip();
    ByteBuffer chunk = ByteBuffer.allocateDirect(16 << 20).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      while (head.hasRemaining()) ch.write(head);
      for (long left = at; left > 0; ) {
        chunk.clear();
        int n = (int) Math.min(chunk.capacity(), left);
        // four bf16 per long; clearing each exponent's top bit keeps every value finite, |x| < 2
        for (int i = 0; i + 8 <= n; i += 8) chunk.putLong(rnd.nextLong() & 0xBFFF_BFFF_BFFF_BFFFL);
        while (chunk.position() < n) chunk.put((byte) 0);
        chunk.flip();
        while (chunk.hasRemaining()) ch.write(chunk);
        left -= n;
      }
    }
  }
}
