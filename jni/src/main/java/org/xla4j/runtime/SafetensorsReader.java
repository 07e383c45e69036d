package org.xla4j.runtime;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A safetensors checkpoint opened lazily: one file, or a sharded checkpoint through its
 * {@code model.safetensors.index.json} ({@code {"metadata": {...}, "weight_map": {tensor: file}}}).
 * Opening reads and validates only the headers; a tensor's bytes are reached through a read-only
 * memory mapping of its file (mapped on first use, no 2 GiB limit), as a zero-copy
 * {@link MemorySegment} slice or as a {@link HostTensor} view that a backend uploads in place.
 *
 * <p>Close the reader to unmap the files (a Cleaner unmaps them once the reader and every tensor it
 * handed out are unreachable). Afterwards its segments and tensors throw {@link IllegalStateException}
 * when read; do not close it while another thread still uploads one of its tensors.
 *
 * <pre>{@code
 * try (SafetensorsReader ckpt = SafetensorsReader.open(Path.of("llama/"))) {   // dir, index or file
 *   for (TensorInfo t : ckpt.tensors()) System.out.println(t);
 *   HostTensor w = ckpt.read("model.embed_tokens.weight");                   // a view, no copy
 *   DeviceBuffer d = backend.toDevice(w);                                    // uploaded from the mapping
 * }
 * }</pre>
 */
public final class SafetensorsReader implements AutoCloseable {
  /** The index file Hugging Face writes beside the shards of a sharded checkpoint. */
  public static final String INDEX = "model.safetensors.index.json";
  private static final Cleaner CLEANER = Cleaner.create();

  /** The mappings; never references the reader, so the Cleaner can run. */
  private static final class Mappings implements Runnable {
    final Arena arena = Arena.ofShared();
    volatile FileChannel.MapMode mode = FileChannel.MapMode.READ_ONLY;
    final Map<Path, MemorySegment> byFile = new LinkedHashMap<>();
    boolean closed;

    synchronized MemorySegment of(Path file, long size) {
      if (closed) throw new IllegalStateException("SafetensorsReader is closed");
      MemorySegment m = byFile.get(file);
      if (m == null) {
        // Java maps PRIVATE only through a channel opened for writing too; nothing is ever written
        var options = mode == FileChannel.MapMode.PRIVATE
            ? new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE}
            : new StandardOpenOption[] {StandardOpenOption.READ};
        try (FileChannel ch = FileChannel.open(file, options)) {
          if (ch.size() != size) {
            throw new IllegalStateException("safetensors file " + file + " changed size since it was opened ("
                + size + " -> " + ch.size() + " bytes)");
          }
          m = ch.map(mode, 0, size, arena);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot map safetensors file " + file, e);
        }
        byFile.put(file, m);
      }
      return m;
    }

    @Override
    public synchronized void run() {
      if (closed) return;
      closed = true;
      byFile.clear();
      arena.close();
    }
  }

  private final Path source;
  private final Map<String, TensorInfo> tensors; // in file order, then data order
  private final Map<Path, SafetensorsHeader> headers;
  private final Map<String, String> metadata;
  private final Mappings mappings = new Mappings();
  private final Cleaner.Cleanable cleanable;

  private SafetensorsReader(Path source, List<SafetensorsHeader> headers, Map<String, String> metadata) {
    this.source = source;
    Map<String, TensorInfo> t = new LinkedHashMap<>();
    Map<Path, SafetensorsHeader> h = new LinkedHashMap<>();
    for (SafetensorsHeader header : headers) {
      h.put(header.file(), header);
      for (TensorInfo i : header.tensors()) t.put(i.name(), i);
    }
    this.tensors = java.util.Collections.unmodifiableMap(t);
    this.headers = java.util.Collections.unmodifiableMap(h);
    this.metadata = Map.copyOf(metadata);
    this.cleanable = CLEANER.register(this, mappings);
  }

  /**
   * Opens a checkpoint: a {@code .safetensors} file, an index {@code .json}, or a directory holding
   * {@value #INDEX}, else {@code model.safetensors}, else exactly one {@code .safetensors} file.
   * Reads and validates every header; maps nothing yet.
   *
   * @throws IOException naming the file and the problem for a malformed header or index, a shard that
   *     is missing, or a tensor the index and the shard disagree about
   */
  public static SafetensorsReader open(Path path) throws IOException {
    return open(path, FileChannel.MapMode.READ_ONLY);
  }

  /**
   * {@link #open(Path)} with a choice of mapping: {@code READ_ONLY} (the default), or {@code PRIVATE}
   * (copy-on-write: the pages are writable to this process, which some drivers require to pin them for
   * DMA; pinning then copies them into private memory, and the file never changes, though Java needs
   * write permission on it to map it so). Segments handed out are read-only either way.
   */
  public static SafetensorsReader open(Path path, FileChannel.MapMode mode) throws IOException {
    if (mode != FileChannel.MapMode.READ_ONLY && mode != FileChannel.MapMode.PRIVATE) {
      throw new IllegalArgumentException("SafetensorsReader maps READ_ONLY or PRIVATE, not " + mode);
    }
    SafetensorsReader r = openReadOnly(path);
    r.mappings.mode = mode;
    return r;
  }

  private static SafetensorsReader openReadOnly(Path path) throws IOException {
    if (Files.isDirectory(path)) return openReadOnly(pick(path));
    if (!Files.isRegularFile(path)) throw new IOException("no safetensors file or index at " + path);
    if (path.getFileName().toString().endsWith(".json")) return openIndex(path);
    SafetensorsHeader h = SafetensorsHeader.read(path);
    return new SafetensorsReader(path, List.of(h), h.metadata());
  }

  /**
   * A reader over tensors whose byte ranges are known from another format that stores raw, row-major,
   * little-endian arrays inside its own container: Grok-1's ckpt-0 pickles, whose numpy arrays' data lie
   * as plain bytes in each file. The files are mapped like safetensors shards (read-only, on first use),
   * so {@link #read}, {@link #segment} and uploads are zero-copy views, as for a safetensors checkpoint.
   *
   * <pre>{@code
   * SafetensorsReader r = SafetensorsReader.ofRanges(ckpt0, List.of(
   *     new TensorInfo("tensor00000_000", TensorType.of(DType.F32, 128, 64), ckpt0.resolve("tensor00000_000"), 180, 32768)));
   * }</pre>
   *
   * @param source what to name in messages (the directory)
   * @param tensors unique names; each range must lie inside its file, ranges may not overlap
   * @throws IOException naming the file when one is missing, or a range does not fit it or overlaps another
   */
  public static SafetensorsReader ofRanges(Path source, List<TensorInfo> tensors) throws IOException {
    Map<Path, List<TensorInfo>> byFile = new LinkedHashMap<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    for (TensorInfo t : tensors) {
      if (!names.add(t.name())) throw new IOException(source + ": tensor name '" + t.name() + "' is given twice");
      byFile.computeIfAbsent(t.file(), f -> new ArrayList<>()).add(t);
    }
    List<SafetensorsHeader> headers = new ArrayList<>();
    for (Map.Entry<Path, List<TensorInfo>> e : byFile.entrySet()) {
      Path file = e.getKey();
      if (!Files.isRegularFile(file)) throw new IOException(source + ": file " + file + " does not exist");
      long size = Files.size(file);
      List<TensorInfo> sorted = new ArrayList<>(e.getValue());
      sorted.sort(java.util.Comparator.comparingLong(TensorInfo::offset));
      long end = 0;
      for (TensorInfo t : sorted) {
        if (t.end() > size) {
          throw new IOException(source + ": tensor '" + t.name() + "' needs bytes [" + t.offset() + ", " + t.end() + ") of "
              + file + ", which has " + size);
        }
        if (t.offset() < end) throw new IOException(source + ": tensor '" + t.name() + "' overlaps another in " + file);
        end = t.end();
      }
      headers.add(new SafetensorsHeader(file, List.copyOf(e.getValue()), Map.of(), 0, size));
    }
    return new SafetensorsReader(source, headers, Map.of());
  }

  private static Path pick(Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve(INDEX))) return dir.resolve(INDEX);
    if (Files.isRegularFile(dir.resolve("model.safetensors"))) return dir.resolve("model.safetensors");
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
    }
    if (files.size() == 1) return files.get(0);
    throw new IOException("directory " + dir + " has no " + INDEX + " and no model.safetensors, and "
        + (files.isEmpty() ? "no .safetensors file" : files.size() + " .safetensors files " + files)
        + "; open the index or one file");
  }

  private static SafetensorsReader openIndex(Path index) throws IOException {
    JsonObject root;
    try {
      JsonElement e = JsonParser.parseString(Files.readString(index));
      if (!e.isJsonObject()) throw badIndex(index, "it is not a JSON object");
      root = e.getAsJsonObject();
    } catch (JsonParseException | IllegalStateException ex) {
      throw badIndex(index, "it is not valid JSON (" + ex.getMessage() + ")");
    }
    JsonElement wm = root.get("weight_map");
    if (wm == null || !wm.isJsonObject()) throw badIndex(index, "it has no \"weight_map\" object {tensor: file}");
    Map<Path, List<String>> byFile = new LinkedHashMap<>();
    Path dir = index.toAbsolutePath().getParent();
    for (Map.Entry<String, JsonElement> e : wm.getAsJsonObject().entrySet()) {
      if (!(e.getValue() instanceof JsonPrimitive p) || !p.isString()) {
        throw badIndex(index, "weight_map entry '" + e.getKey() + "' is not a file name: " + e.getValue());
      }
      byFile.computeIfAbsent(dir.resolve(p.getAsString()), f -> new ArrayList<>()).add(e.getKey());
    }
    List<SafetensorsHeader> headers = new ArrayList<>();
    Map<String, Path> seen = new TreeMap<>();
    for (Map.Entry<Path, List<String>> e : byFile.entrySet()) {
      Path file = e.getKey();
      if (!Files.isRegularFile(file)) {
        throw badIndex(index, "shard " + file + " (holding '" + e.getValue().get(0) + "'"
            + (e.getValue().size() > 1 ? " and " + (e.getValue().size() - 1) + " more" : "") + ") does not exist");
      }
      SafetensorsHeader h = SafetensorsHeader.read(file);
      java.util.Set<String> has = new java.util.HashSet<>();
      for (TensorInfo t : h.tensors()) {
        has.add(t.name());
        Path other = seen.put(t.name(), file);
        if (other != null) throw badIndex(index, "tensor '" + t.name() + "' is in both " + other + " and " + file);
        if (!e.getValue().contains(t.name())) {
          throw badIndex(index, "shard " + file + " holds tensor '" + t.name() + "', which the weight_map "
              + (wm.getAsJsonObject().has(t.name()) ? "puts in " + wm.getAsJsonObject().get(t.name()) : "does not list"));
        }
      }
      for (String name : e.getValue()) {
        if (!has.contains(name)) throw badIndex(index, "weight_map puts tensor '" + name + "' in " + file + ", which does not hold it");
      }
      headers.add(h);
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    if (root.get("metadata") instanceof JsonObject m) {
      for (Map.Entry<String, JsonElement> e : m.entrySet()) {
        metadata.put(e.getKey(), e.getValue() instanceof JsonPrimitive p ? p.getAsString() : e.getValue().toString());
      }
    }
    return new SafetensorsReader(index, headers, metadata);
  }

  private static IOException badIndex(Path index, String why) {
    return new IOException("malformed safetensors index " + index + ": " + why);
  }

  // ---------------------------------------------------------------- listing (no data read)

  /** What was opened (file or index). */
  public Path source() { return source; }

  /** The files holding the tensors (one, or the shards in index order). */
  public List<Path> files() { return List.copyOf(headers.keySet()); }

  /** Every tensor, file by file in data order. */
  public List<TensorInfo> tensors() { return List.copyOf(tensors.values()); }

  /** The tensor names, in {@link #tensors()} order. */
  public List<String> names() { return List.copyOf(tensors.keySet()); }

  public boolean contains(String name) { return tensors.containsKey(name); }

  public Optional<TensorInfo> find(String name) { return Optional.ofNullable(tensors.get(name)); }

  /** A tensor's entry; the error names the checkpoint and the closest names it has. */
  public TensorInfo info(String name) {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("checkpoint " + source + " has no tensor '" + name + "'; it has "
          + tensors.size() + " tensor(s)" + sample(name));
    }
    return t;
  }

  private String sample(String name) {
    List<String> names = new ArrayList<>(tensors.keySet());
    if (names.size() <= 20) return ": " + names;
    // show those sharing the longest prefix with the missing name: the likely typo's neighbours
    names.sort(java.util.Comparator.comparingInt((String n) -> -commonPrefix(n, name)).thenComparing(n -> n));
    return ", e.g. " + names.subList(0, 10);
  }

  private static int commonPrefix(String a, String b) {
    int i = 0;
    while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) i++;
    return i;
  }

  /** The {@code __metadata__} strings of a single file, or the index's {@code metadata} (values as text). */
  public Map<String, String> metadata() { return metadata; }

  // ---------------------------------------------------------------- data (mapped, zero copy)

  /** A tensor's bytes: a read-only slice of its file's mapping (no copy, any size). */
  public MemorySegment segment(String name) { return segment(info(name)); }

  /** The bytes of one of this reader's tensors. */
  public MemorySegment segment(TensorInfo t) {
    SafetensorsHeader h = headers.get(t.file());
    if (h == null || !t.equals(tensors.get(t.name()))) {
      throw new IllegalArgumentException("tensor " + t + " is not from checkpoint " + source);
    }
    return mappings.of(t.file(), h.fileSize()).asSlice(t.offset(), t.byteSize()).asReadOnly();
  }

  /**
   * The whole mapping of one of {@link #files()}, e.g. to register it for DMA once before uploading
   * many of its tensors; tensors' segments are slices of it.
   */
  public MemorySegment fileSegment(Path file) {
    SafetensorsHeader h = headers.get(file);
    if (h == null) throw new IllegalArgumentException(file + " is not one of " + files());
    return mappings.of(file, h.fileSize()).asReadOnly();
  }

  /** A tensor as a {@link HostTensor} view of the mapping (no copy); it keeps this reader reachable. */
  public HostTensor read(String name) { return read(info(name)); }

  /** One of this reader's tensors as a view of the mapping. */
  public HostTensor read(TensorInfo t) { return HostTensor.view(t.type(), segment(t), this); }

  /** A tensor copied onto the Java heap (at most 2 GiB), valid after the reader is closed. */
  public HostTensor copy(String name) {
    TensorInfo t = info(name);
    return HostTensor.ofSegment(t.type(), segment(t));
  }

  /** How the files are mapped: {@code READ_ONLY} (the default) or {@code PRIVATE} (copy-on-write, pinnable for DMA). */
  public FileChannel.MapMode mapMode() { return mappings.mode; }

  /** Unmaps the files; idempotent. Segments and views handed out throw when read afterwards. */
  @Override
  public void close() { cleanable.clean(); }

  @Override
  public String toString() { return "SafetensorsReader[" + source + ", " + tensors.size() + " tensors in " + headers.size() + " file(s)]"; }
}
