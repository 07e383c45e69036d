package org.xla4j.models.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xla4j.checkpoint.CheckpointMap;
import org.xla4j.checkpoint.CheckpointTensor;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.llama.LlamaCheckpoint;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.SafetensorsReader;
import org.xla4j.runtime.StagedUploader;
import org.xla4j.runtime.TensorInfo;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * A Hugging Face model directory: {@code config.json} plus {@code model.safetensors} or a sharded
 * checkpoint ({@code model.safetensors.index.json}), memory-mapped. It tells the {@link ModelType} apart,
 * maps tensor names to the model's tree paths ({@link #map()}), checks them against the model's expected
 * parameters (missing, extra, wrongly shaped or typed tensors are a {@link org.xla4j.checkpoint.CheckpointException}
 * naming the tensor, its file and both types), and reads or uploads them with progress. A directory holding
 * Grok-1's original {@code ckpt-0/} (pickles, {@link GrokCkpt0}) opens the same way, {@code config.json} optional.
 *
 * <pre>{@code
 * try (ModelDir dir = ModelDir.open(Path.of("Llama-3.2-1B"))) {
 *   LlamaConfig c = dir.llamaConfig();
 *   Tree<CheckpointTensor> params = dir.parameters();                        // checked against c.parameterTypes()
 *   Tree<DeviceBuffer> w = dir.upload(params, backend, backend.devices().get(0), progress);
 * }
 * }</pre>
 */
public final class ModelDir implements AutoCloseable {
  /** The config file every model directory has. */
  public static final String CONFIG = "config.json";

  private final Path dir;
  private final JsonObject config;
  private final SafetensorsReader reader;
  private final ModelType type;
  /** Non-null for Grok-1's original {@code ckpt-0/} layout ({@link GrokCkpt0}): the config it was opened with. */
  private final Grok1Config ckpt0Config;

  private ModelDir(Path dir, JsonObject config, SafetensorsReader reader, ModelType type) {
    this(dir, config, reader, type, null);
  }

  private ModelDir(Path dir, JsonObject config, SafetensorsReader reader, ModelType type, Grok1Config ckpt0Config) {
    this.dir = dir;
    this.config = config;
    this.reader = reader;
    this.type = type;
    this.ckpt0Config = ckpt0Config;
  }

  /**
   * Opens {@code dir}: reads {@code config.json} and every safetensors header (no tensor data), detects the type.
   * A directory holding Grok-1's original {@code ckpt-0/} is opened by {@link GrokCkpt0} (see {@link #openCkpt0}).
   *
   * @throws IllegalArgumentException naming the directory when it has no config.json or no checkpoint, the
   *     config is not JSON, or the type cannot be told
   */
  public static ModelDir open(Path dir) {
    if (!Files.isDirectory(dir)) throw new IllegalArgumentException("model directory " + dir + " does not exist");
    if (GrokCkpt0.isIn(dir)) return openCkpt0(dir);
    Path cfg = dir.resolve(CONFIG);
    if (!Files.isRegularFile(cfg)) throw new IllegalArgumentException("model directory " + dir + " has no " + CONFIG);
    JsonObject config = readConfig(cfg);
    SafetensorsReader reader;
    try {
      reader = SafetensorsReader.open(dir);
    } catch (IOException ex) {
      throw new IllegalArgumentException("model directory " + dir + ": " + ex.getMessage(), ex);
    }
    try {
      return new ModelDir(dir, config, reader, ModelType.detect(config, reader.names()));
    } catch (RuntimeException ex) {
      reader.close();
      throw new IllegalArgumentException("model directory " + dir + ": " + ex.getMessage(), ex);
    }
  }

  private static JsonObject readConfig(Path cfg) {
    try {
      JsonElement e = JsonParser.parseString(Files.readString(cfg));
      if (!e.isJsonObject()) throw new IllegalArgumentException(cfg + " is not a JSON object");
      return e.getAsJsonObject();
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot read " + cfg, ex);
    } catch (com.google.gson.JsonParseException ex) {
      throw new IllegalArgumentException(cfg + " is not valid JSON: " + ex.getMessage(), ex);
    }
  }

  /**
   * Grok-1's original checkpoint: {@code dir/ckpt-0/tensorNNNNN_000} pickles ({@link GrokCkpt0}), with the
   * config from {@code dir/config.json} in the keys of Grok-1's Hugging Face conversion ({@link Grok1HfConfig})
   * when present, else {@link Grok1Config#full()}; the weight format from the first matrix file. Every file's
   * arrays are checked against the config's tree here; the data stay in the files (mapped when read).
   */
  private static ModelDir openCkpt0(Path dir) {
    Path cfg = dir.resolve(CONFIG);
    JsonObject json = Files.isRegularFile(cfg) ? readConfig(cfg) : new JsonObject();
    Path ckpt0 = dir.resolve(GrokCkpt0.DIR);
    try {
      Grok1Config c = json.isEmpty() ? Grok1Config.full() : Grok1HfConfig.read(json, List.of());
      c = c.withWeightFormat(GrokCkpt0.weightFormat(ckpt0, c));
      return new ModelDir(dir, json, GrokCkpt0.open(ckpt0, c), ModelType.GROK1, c);
    } catch (org.xla4j.checkpoint.CheckpointException ex) {
      throw ex;
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException("model directory " + dir + " (Grok-1 ckpt-0): " + ex.getMessage(), ex);
    }
  }

  public Path dir() { return dir; }

  public ModelType type() { return type; }

  /** A copy of {@code config.json}. */
  public JsonObject config() { return config.deepCopy(); }

  /** The open checkpoint. */
  public SafetensorsReader reader() { return reader; }

  /**
   * The Llama config; without {@code torch_dtype} in config.json, the dtype of {@code model.embed_tokens.weight}.
   *
   * @throws IllegalStateException when this is not a Llama directory
   */
  public LlamaConfig llamaConfig() {
    if (type != ModelType.LLAMA) throw new IllegalStateException(dir + " holds a " + type + " model, not LLAMA");
    LlamaConfig c = LlamaConfig.fromJson(config.toString());
    JsonElement dt = config.get("torch_dtype");
    if (dt == null || dt.isJsonNull()) {
      Optional<TensorInfo> embed = reader.find("model.embed_tokens.weight");
      DType d = embed.map(t -> t.type().dtype()).filter(DType::isFloat).orElse(c.dtype());
      c = c.toBuilder().dtype(d).build();
    }
    return c;
  }

  /** Checkpoint names to the model's tree paths. */
  public CheckpointMap map() {
    return switch (type) {
      case LLAMA -> LlamaCheckpoint.map(llamaConfig());
      case GROK1 -> ckpt0Config != null ? GrokCkpt0.map(ckpt0Config) : Grok1HfNames.map();
    };
  }

  /**
   * The Grok-1 config (INT8 when the checkpoint has {@code .scales} tensors).
   *
   * @throws IllegalStateException when this is not a Grok-1 directory
   */
  public Grok1Config grok1Config() {
    if (type != ModelType.GROK1) throw new IllegalStateException(dir + " holds a " + type + " model, not GROK1");
    if (ckpt0Config != null) return ckpt0Config;
    return Grok1HfConfig.read(config, reader.names());
  }

  /** The parameters the model expects, from its config. */
  public Tree<TensorType> expectedTypes() {
    return switch (type) {
      case LLAMA -> llamaConfig().parameterTypes();
      case GROK1 -> grok1Config().parameterTypes();
    };
  }

  /** Every parameter as a lazily read leaf, checked against {@link #expectedTypes()}. */
  public Tree<CheckpointTensor> parameters() { return map().apply(reader, expectedTypes()); }

  /** Every parameter, checked against {@code expected} (missing, extra, wrong shape or dtype: an error). */
  public Tree<CheckpointTensor> parameters(Tree<TensorType> expected) { return map().apply(reader, expected); }

  /** Reads every leaf into host memory (views of the mapping where no transpose or stacking is needed). */
  public static Tree<HostTensor> read(Tree<CheckpointTensor> params, LoadProgress progress) {
    progress.start("reading", totalBytes(params));
    try {
      List<HostTensor> out = new ArrayList<>();
      for (Tree.Leaf<CheckpointTensor> l : params) {
        out.add(l.value().read());
        progress.advance(l.path(), l.value().type().byteSize());
      }
      return Tree.unflatten(params.paths(), out);
    } finally {
      progress.finish();
    }
  }

  /**
   * Uploads every leaf to {@code device} through pinned staging buffers ({@link StagedUploader}), in groups of
   * about 1 GiB so progress moves while copies and transfers of a group still overlap.
   */
  public static Tree<DeviceBuffer> upload(Tree<CheckpointTensor> params, Backend backend, Device device,
      LoadProgress progress) {
    if (params.isEmpty()) return Tree.empty();
    long largest = params.leaves().stream().mapToLong(t -> t.type().byteSize()).max().orElse(1);
    long capacity = Math.max(1, Math.min(largest, 512L << 20));
    progress.start("uploading to " + device, totalBytes(params));
    List<DeviceBuffer> out = new ArrayList<>();
    try (StagedUploader up = StagedUploader.open(backend, device, capacity, 2)) {
      List<Tree.Leaf<CheckpointTensor>> group = new ArrayList<>();
      long groupBytes = 0;
      List<Tree.Leaf<CheckpointTensor>> leaves = params.entries();
      for (int i = 0; i < leaves.size(); i++) {
        group.add(leaves.get(i));
        groupBytes += leaves.get(i).value().type().byteSize();
        if (groupBytes >= (1L << 30) || i == leaves.size() - 1) {
          out.addAll(up.upload(group.stream().map(l -> l.value().source()).toList()));
          progress.advance(group.get(group.size() - 1).path(), groupBytes);
          group.clear();
          groupBytes = 0;
        }
      }
      return Tree.unflatten(params.paths(), out);
    } catch (RuntimeException | Error e) {
      out.forEach(DeviceBuffer::close);
      throw e;
    } finally {
      progress.finish();
    }
  }

  /** Bytes of every leaf in its model layout. */
  public static long totalBytes(Tree<CheckpointTensor> params) {
    return params.leaves().stream().mapToLong(t -> t.type().byteSize()).sum();
  }

  /**
   * The checkpoint name of a leaf: the tensor's own name, or for a stack the names with the varying part
   * written {@code {first..last}} ({@code transformer.decoder_layer.0.moe.{0..7}.linear.weight}).
   */
  public static String checkpointName(CheckpointTensor t) {
    String first = t.sources().get(0).name();
    if (t.sources().size() == 1) return first;
    String last = t.sources().get(t.sources().size() - 1).name();
    String[] a = first.split("\\.", -1);
    String[] b = last.split("\\.", -1);
    if (a.length != b.length) return first + " .. " + last;
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < a.length; i++) {
      if (i > 0) sb.append('.');
      sb.append(a[i].equals(b[i]) ? a[i] : "{" + a[i] + ".." + b[i] + "}");
    }
    return sb.toString();
  }

  @Override
  public void close() { reader.close(); }

  @Override
  public String toString() { return "ModelDir[" + dir + ", " + type + ", " + reader + "]"; }
}
