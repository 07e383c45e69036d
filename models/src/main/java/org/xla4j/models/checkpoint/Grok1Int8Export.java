package org.xla4j.models.checkpoint;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.xla4j.models.quant.Int8Quantizer;
import org.xla4j.runtime.SafetensorsReader;
import org.xla4j.runtime.TensorInfo;
import org.xla4j.types.DType;
import org.xla4j.types.HalfFloats;
import org.xla4j.types.TensorType;

/**
 * Writes a float (bf16, f16 or f32) Grok-1 Hugging Face directory as Grok-1's int8 layout: each matrix
 * {@code NAME.weight [out, in]} becomes {@code NAME.weight} I8 {@code [out, in]} plus {@code NAME.scales} BF16
 * {@code [nb, out]} ({@link Int8Quantizer}: symmetric absmax/127 per (block, output), round to nearest);
 * nb = 1 for query, key, value and the experts' linear / linear_v, nb = 8 for the attention output
 * {@code linear} and the experts' {@code linear_1}. Embeddings, norms and the router are copied as they are,
 * and so are {@code config.json} and the tokenizer files. Tensors go into one {@code model.safetensors}, or
 * into {@code model-0000i-of-0000n.safetensors} shards of at most {@code shardSize} bytes (a larger tensor gets
 * a shard of its own) with a {@value SafetensorsReader#INDEX}. Streams tensor by tensor: memory holds one
 * matrix. The result is opened and checked against the config before returning.
 *
 * <pre>{@code
 * try (ModelDir in = ModelDir.open(Path.of("grok-1-bf16"))) {
 *   Grok1Int8Export.Summary s = Grok1Int8Export.write(in, Path.of("grok-1-int8"), 5_000_000_000L, LoadProgress.NONE);
 * }
 * }</pre>
 */
public final class Grok1Int8Export {
  private Grok1Int8Export() {}

  /** Default shard size, as Hugging Face's writers use: 5 GB. */
  public static final long DEFAULT_SHARD_SIZE = 5_000_000_000L;

  private static final Pattern MATRIX = Pattern.compile("(transformer\\.decoder_layer\\.\\d+\\."
      + "(?:multi_head_attention\\.(query|key|value|linear)|moe\\.\\d+\\.(linear|linear_v|linear_1)))\\.weight");

  /** Files copied beside the checkpoint besides config.json: tokenizers and generation settings. */
  private static final Pattern COPIED = Pattern.compile("tokenizer.*|special_tokens_map\\.json|added_tokens\\.json"
      + "|generation_config\\.json|vocab\\.json|merges\\.txt|.*\\.tiktoken");

  /**
   * What was written.
   *
   * @param quantized matrices written as int8
   * @param copied tensors copied unchanged
   * @param inputBytes tensor bytes read
   * @param outputBytes tensor bytes written
   * @param files the files written, shards first
   */
  public record Summary(int quantized, int copied, long inputBytes, long outputBytes, List<Path> files) {
    public Summary {
      files = List.copyOf(files);
    }
  }

  /**
   * The scale blocks of a Grok-1 HF tensor name: 1 or 8 for a quantizable matrix, 0 for anything else.
   */
  public static int blocks(String name) {
    Matcher m = MATRIX.matcher(name);
    if (!m.matches()) return 0;
    String module = m.group(2) != null ? m.group(2) : m.group(3);
    return module.equals("linear") && m.group(2) != null || module.equals("linear_1") ? 8 : 1;
  }

  /** One output tensor: its name, type and where its data comes from. */
  private record Out(String name, TensorType type, TensorInfo source, boolean scales) {}

  /**
   * Quantizes {@code in} into the new directory {@code out}.
   *
   * @throws IllegalArgumentException when {@code in} is not a float Grok-1 directory, a matrix does not split into
   *     its scale blocks, {@code out} already holds a checkpoint, or {@code shardSize < 1}
   */
  public static Summary write(ModelDir in, Path out, long shardSize, LoadProgress progress) throws IOException {
    if (shardSize < 1) throw new IllegalArgumentException("the shard size must be >= 1 byte, got " + shardSize);
    if (in.type() != ModelType.GROK1) {
      throw new IllegalArgumentException(in.dir() + " holds a " + in.type() + " model; only Grok-1 "
          + "directories have an int8 layout");
    }
    in.grok1Config(); // the config must read before anything is written
    SafetensorsReader reader = in.reader();
    List<List<Out>> units = plan(in);
    checkTarget(in.dir(), out);
    Files.createDirectories(out);

    List<List<Out>> shards = shards(units, shardSize);
    long inputBytes = reader.tensors().stream().mapToLong(TensorInfo::byteSize).sum();
    long outputBytes = 0;
    int quantized = 0;
    int copied = 0;
    List<Path> files = new ArrayList<>();
    Map<String, String> weightMap = new LinkedHashMap<>();
    progress.start("quantizing " + in.dir(), inputBytes);
    try {
      for (int s = 0; s < shards.size(); s++) {
        String file = shards.size() == 1 ? "model.safetensors"
            : String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
        Map<String, TensorType> header = new LinkedHashMap<>();
        for (Out o : shards.get(s)) {
          header.put(o.name(), o.type());
          weightMap.put(o.name(), file);
          outputBytes += o.type().byteSize();
        }
        try (SafetensorsStream w = SafetensorsStream.create(out.resolve(file), header)) {
          List<Out> tensors = shards.get(s);
          for (int i = 0; i < tensors.size(); i++) {
            Out o = tensors.get(i);
            if (o.scales()) continue; // written with its weight
            int nb = blocks(o.source().name());
            if (nb == 0) {
              w.write(o.name(), reader.segment(o.source()));
              copied++;
            } else {
              Int8Quantizer.Result r = quantize(reader, o.source(), nb);
              w.write(o.name(), MemorySegment.ofArray(r.weight()));
              w.write(tensors.get(i + 1).name(), MemorySegment.ofArray(bf16Bytes(r.scales())));
              quantized++;
            }
            progress.advance(o.source().name(), o.source().byteSize());
          }
        }
        files.add(out.resolve(file));
      }
      if (shards.size() > 1) files.add(writeIndex(out, weightMap, outputBytes));
      files.addAll(copyFiles(in.dir(), out));
    } finally {
      progress.finish();
    }
    try (ModelDir check = ModelDir.open(out)) {
      check.parameters(); // every tensor where the int8 config expects it, with its shape and dtype
    }
    return new Summary(quantized, copied, inputBytes, outputBytes, files);
  }

  /** The output tensors in the input's order; a matrix's weight and scales form one unit. */
  private static List<List<Out>> plan(ModelDir in) {
    for (TensorInfo t : in.reader().tensors()) {
      if (t.name().endsWith(".scales")) {
        throw new IllegalArgumentException(in.dir() + " is already int8 (it has '" + t.name() + "' in "
            + t.file().getFileName() + "); give the bf16 or f32 checkpoint");
      }
    }
    List<List<Out>> units = new ArrayList<>();
    for (TensorInfo t : in.reader().tensors()) {
      String name = t.name();
      int nb = blocks(name);
      if (nb == 0) {
        units.add(List.of(new Out(name, t.type(), t, false)));
        continue;
      }
      DType d = t.type().dtype();
      if (!d.isFloat() || t.type().rank() != 2) {
        throw new IllegalArgumentException("'" + name + "' in " + t.file().getFileName()
            + " must be a float matrix [out, in], got " + t.type());
      }
      long rows = t.type().shape().dim(0);
      long cols = t.type().shape().dim(1);
      if (cols % nb != 0) {
        throw new IllegalArgumentException("'" + name + "' " + t.type() + " has " + cols + " input features, "
            + "not divisible into the " + nb + " scale blocks Grok-1 uses for it");
      }
      String base = name.substring(0, name.length() - ".weight".length());
      units.add(List.of(new Out(name, TensorType.of(DType.I8, rows, cols), t, false),
          new Out(base + ".scales", TensorType.of(DType.BF16, nb, rows), t, true)));
    }
    return units;
  }

  /** Greedy shards in order: a shard ends when the next unit would take it past {@code size}. */
  private static List<List<Out>> shards(List<List<Out>> units, long size) {
    List<List<Out>> shards = new ArrayList<>();
    List<Out> cur = new ArrayList<>();
    long bytes = 0;
    for (List<Out> u : units) {
      long b = u.stream().mapToLong(o -> o.type().byteSize()).sum();
      if (!cur.isEmpty() && bytes + b > size) {
        shards.add(cur);
        cur = new ArrayList<>();
        bytes = 0;
      }
      cur.addAll(u);
      bytes += b;
    }
    if (!cur.isEmpty() || shards.isEmpty()) shards.add(cur);
    return shards;
  }

  private static Int8Quantizer.Result quantize(SafetensorsReader reader, TensorInfo t, int nb) {
    int out = Math.toIntExact(t.type().shape().dim(0));
    int in = Math.toIntExact(t.type().shape().dim(1));
    MemorySegment seg = reader.segment(t);
    DType d = t.type().dtype();
    long elem = d.byteSize();
    byte[] q = new byte[Math.toIntExact((long) out * in)];
    float[] scales = new float[nb * out];
    float[] row = new float[in];
    float[] s = new float[nb];
    for (int o = 0; o < out; o++) {
      long base = (long) o * in * elem;
      for (int i = 0; i < in; i++) row[i] = element(seg, d, base + i * elem);
      try {
        Int8Quantizer.quantizeRow(row, nb, q, o * in, s);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + t.name() + "' in " + t.file().getFileName() + ", row " + o
            + ": " + e.getMessage(), e);
      }
      for (int b = 0; b < nb; b++) scales[b * out + o] = s[b];
    }
    return new Int8Quantizer.Result(q, scales);
  }

  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private static float element(MemorySegment seg, DType d, long at) {
    return switch (d) {
      case BF16 -> HalfFloats.bf16ToFloat(seg.get(SHORT, at));
      case F16 -> HalfFloats.f16ToFloat(seg.get(SHORT, at));
      case F32 -> seg.get(FLOAT, at);
      default -> throw new IllegalArgumentException("quantize reads bf16, f16 or f32 matrices, got " + d);
    };
  }

  private static byte[] bf16Bytes(float[] v) {
    byte[] b = new byte[v.length * 2];
    for (int i = 0; i < v.length; i++) {
      short h = HalfFloats.floatToBf16(v[i]); // exact: the scales are bf16 values already
      b[2 * i] = (byte) h;
      b[2 * i + 1] = (byte) (h >> 8);
    }
    return b;
  }

  private static Path writeIndex(Path out, Map<String, String> weightMap, long total) throws IOException {
    JsonObject meta = new JsonObject();
    meta.addProperty("total_size", total);
    JsonObject map = new JsonObject();
    weightMap.forEach(map::addProperty);
    JsonObject root = new JsonObject();
    root.add("metadata", meta);
    root.add("weight_map", map);
    return Files.writeString(out.resolve(SafetensorsReader.INDEX),
        new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(root) + "\n");
  }

  private static List<Path> copyFiles(Path from, Path to) throws IOException {
    List<Path> out = new ArrayList<>();
    out.add(Files.copy(from.resolve(ModelDir.CONFIG), to.resolve(ModelDir.CONFIG), StandardCopyOption.REPLACE_EXISTING));
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.sorted().toList()) {
        String n = f.getFileName().toString();
        if (Files.isRegularFile(f) && COPIED.matcher(n).matches()) {
          out.add(Files.copy(f, to.resolve(n), StandardCopyOption.REPLACE_EXISTING));
        }
      }
    }
    return out;
  }

  /** {@code out} is not the input and holds no checkpoint yet (a mix of two would not load). */
  private static void checkTarget(Path in, Path out) throws IOException {
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new IllegalArgumentException(out + " exists and is not a folder");
    }
    if (Files.isDirectory(out) && Files.isSameFile(in, out)) {
      throw new IllegalArgumentException("the output folder " + out + " is the input folder; pick a new one");
    }
    if (!Files.isDirectory(out)) return;
    try (Stream<Path> files = Files.list(out)) {
      List<String> taken = files.map(p -> p.getFileName().toString())
          .filter(n -> n.equals(ModelDir.CONFIG) || n.endsWith(".safetensors") || n.equals(SafetensorsReader.INDEX))
          .sorted().toList();
      if (!taken.isEmpty()) {
        throw new IllegalArgumentException("the output folder " + out + " already holds " + taken
            + "; pick an empty or new folder");
      }
    }
  }
}
