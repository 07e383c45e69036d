package org.xla4j.models.generate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.xla4j.models.checkpoint.LoadProgress;
import org.xla4j.models.checkpoint.ModelDir;
import org.xla4j.models.grok.Grok1;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.grok.Grok1RandomWeights;
import org.xla4j.models.llama.Llama;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.models.llama.LlamaRandomWeights;
import org.xla4j.models.moe.MoeImplementation;
import org.xla4j.models.tokenizer.ByteTokenizer;
import org.xla4j.models.tokenizer.Tokenizer;
import org.xla4j.models.tokenizer.Tokenizers;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;

/**
 * A language model on a backend, ready to generate: its architecture ({@link CausalLm}), its parameters on
 * the device, its tokenizer and stop ids. Load a checkpoint directory (Grok-1 in its Hugging Face layout,
 * bf16 or int8; Llama) or a preset with random weights from a fixed seed ({@code tiny-grok},
 * {@code tiny-llama}, with a byte tokenizer). Closing it releases the parameters.
 *
 * <pre>{@code
 * try (Backend cpu = Backends.open("cpu");
 *      LanguageModel lm = LanguageModel.load("tiny-grok", cpu, LoadProgress.NONE);
 *      Generator gen = lm.generator()) {
 *   System.out.println(gen.generate(List.of("Hello"), SamplingParams.greedy(8)).get(0).text());
 * }
 * }</pre>
 */
public final class LanguageModel implements AutoCloseable {
  /** The presets {@link #load(String, Backend, LoadProgress)} knows. */
  public static final List<String> PRESETS = List.of("tiny-grok", "tiny-llama");

  /** The seed of the presets' random weights. */
  public static final long PRESET_SEED = 0;

  private final String name;
  private final CausalLm model;
  private final Backend backend;
  private final Tree<DeviceBuffer> params;
  private final Tokenizer tokenizer; // null: ids only
  private final boolean addBos;
  private final Set<Integer> eos;
  private final boolean randomWeights;
  private boolean closed;

  private LanguageModel(String name, CausalLm model, Backend backend, Tree<DeviceBuffer> params, Tokenizer tokenizer,
      boolean addBos, Set<Integer> eos, boolean randomWeights) {
    this.name = name;
    this.model = model;
    this.backend = backend;
    this.params = params;
    this.tokenizer = tokenizer;
    this.addBos = addBos;
    this.eos = Set.copyOf(eos);
    this.randomWeights = randomWeights;
  }

  /** Grok-1's structure at a size a CPU generates with quickly: vocab 512 (bytes fit), D 64, 2 layers, context 256. */
  public static Grok1Config tinyGrokConfig() {
    return Grok1Config.tiny().toBuilder().vocabSize(512).contextLength(256).build();
  }

  /** Llama's structure, small: vocab 512, D 32, 2 layers, f32, context 256, pad 0, BOS 1, EOS 2. */
  public static LlamaConfig tinyLlamaConfig() {
    return LlamaConfig.tiny().toBuilder().vocabSize(512).maxPositions(256).padTokenId(0)
        .bosTokenId(OptionalInt.of(1)).eosTokenIds(List.of(2)).build();
  }

  /**
   * How a Grok-1 model is evaluated on {@code platform} (a backend's {@link Backend#platformName()}): the defaults
   * with the MoE's AUTO pick made for that platform, so each generation program gets the implementation measured
   * fastest for its own token count (decode: the batch; prefill: rows times the bucket).
   *
   * <pre>{@code
   * CausalLm lm = new CausalLm.Grok(config, LanguageModel.grokOptions("cuda"));
   * }</pre>
   */
  public static Grok1.Options grokOptions(String platform) {
    Grok1.Options d = Grok1.Options.defaults();
    return d.withMoe(d.moe().toBuilder().implementation(MoeImplementation.AUTO).platform(platform).build());
  }

  /** A preset name from {@link #PRESETS} or a checkpoint directory. */
  public static LanguageModel load(String modelOrDir, Backend backend, LoadProgress progress) {
    Objects.requireNonNull(modelOrDir, "modelOrDir");
    if (PRESETS.contains(modelOrDir)) return preset(modelOrDir, backend);
    Path dir = Path.of(modelOrDir);
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("model '" + modelOrDir + "' is neither a preset " + PRESETS
          + " nor a directory");
    }
    return load(dir, backend, progress);
  }

  /**
   * A preset with random weights from {@link #PRESET_SEED} and the byte tokenizer (pad 0, BOS 1, EOS 2).
   *
   * @throws IllegalArgumentException naming the presets for an unknown name
   */
  public static LanguageModel preset(String preset, Backend backend) {
    return preset(preset, backend, ExpertStorage.forPlatform(backend.platform()));
  }

  /** {@link #preset(String, Backend)} with the experts kept as {@code storage} says (Grok presets). */
  public static LanguageModel preset(String preset, Backend backend, ExpertStorage storage) {
    java.util.Objects.requireNonNull(storage, "storage");
    Tokenizer tok = ByteTokenizer.withOffset(3);
    Set<Integer> eos = Set.of(tok.special().eos().getAsInt());
    return switch (preset) {
      case "tiny-grok" -> {
        Grok1Config c = tinyGrokConfig();
        Tree<HostTensor> w = Tree.of(Grok1RandomWeights.generate(c, PRESET_SEED));
        yield grok(preset, c, backend, upload(w, backend), storage, tok, eos, true);
      }
      case "tiny-llama" -> {
        LlamaConfig c = tinyLlamaConfig();
        Tree<HostTensor> w = Tree.of(LlamaRandomWeights.generate(c, PRESET_SEED));
        yield new LanguageModel(preset, new CausalLm.LlamaLm(c, Llama.Options.defaults()), backend, upload(w, backend),
            tok, true, eos, true);
      }
      default -> throw new IllegalArgumentException("unknown preset '" + preset + "'; presets: " + PRESETS);
    };
  }

  /**
   * A Hugging Face checkpoint directory ({@link ModelDir}: Grok-1 bf16 or int8, Llama), uploaded to the
   * backend's first device with {@code progress}, with its tokenizer ({@link Tokenizers#load}:
   * tokenizer.json or a SentencePiece model) when it has one. Stop ids: the tokenizer's EOS and Llama's
   * {@code eos_token_id}s.
   */
  public static LanguageModel load(Path dir, Backend backend, LoadProgress progress) {
    return load(dir, backend, progress, ExpertStorage.forPlatform(backend.platform()));
  }

  /** {@link #load(Path, Backend, LoadProgress)} with the experts kept as {@code storage} says (Grok-1 checkpoints). */
  public static LanguageModel load(Path dir, Backend backend, LoadProgress progress, ExpertStorage storage) {
    java.util.Objects.requireNonNull(storage, "storage");
    Tokenizer tok = hasTokenizer(dir) ? Tokenizers.load(dir) : null;
    try (ModelDir m = ModelDir.open(dir)) {
      Tree<DeviceBuffer> w = ModelDir.upload(m.parameters(), backend, backend.devices().get(0), progress);
      String name = dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
      Set<Integer> eos = new LinkedHashSet<>();
      if (tok != null) tok.special().eos().ifPresent(eos::add);
      return switch (m.type()) {
        case GROK1 -> grok(name, m.grok1Config(), backend, w, storage, tok, eos, false);
        case LLAMA -> {
          LlamaConfig c = m.llamaConfig();
          eos.addAll(c.eosTokenIds());
          yield new LanguageModel(name, new CausalLm.LlamaLm(c, Llama.Options.defaults()), backend, w, tok,
              c.bosTokenId().isPresent(), eos, false);
        }
      };
    } catch (RuntimeException e) {
      if (tok != null) tok.close();
      throw e;
    }
  }

  /**
   * Whether {@code dir} holds a tokenizer file (tokenizer.json or a SentencePiece {@code .model}); a directory
   * without one generates from token ids. An unreadable or ambiguous one is {@link Tokenizers#load}'s error.
   */
  private static boolean hasTokenizer(Path dir) {
    if (Files.isRegularFile(dir.resolve("tokenizer.json"))) return true;
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(p -> p.getFileName().toString().endsWith(".model") && Files.isRegularFile(p));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot list " + dir, e);
    }
  }

  /** A Grok-1 model over uploaded weights {@code w} ([E, in, out] experts), converted to {@code storage} on the device. */
  private static LanguageModel grok(String name, Grok1Config c, Backend backend, Tree<DeviceBuffer> w,
      ExpertStorage storage, Tokenizer tok, Set<Integer> eos, boolean randomWeights) {
    CausalLm.Grok model = new CausalLm.Grok(c, grokOptions(backend.platformName()));
    return switch (storage) {
      case AS_TREE -> new LanguageModel(name, model, backend, w, tok, false, eos, randomWeights);
      case CONTRACTION_MINOR -> new LanguageModel(name, model.withExpertsMinor(), backend,
          ExpertLayout.toStored(w, backend), tok, false, eos, randomWeights);
    };
  }

  private static Tree<DeviceBuffer> upload(Tree<HostTensor> w, Backend backend) {
    List<DeviceBuffer> out = new ArrayList<>();
    try {
      for (HostTensor t : w.leaves()) out.add(backend.toDevice(t));
    } catch (RuntimeException e) {
      out.forEach(DeviceBuffer::close);
      throw e;
    }
    return Tree.unflatten(w.paths(), out);
  }

  /** A generator with {@link Generator.Options#defaults()}. */
  public Generator generator() { return generator(Generator.Options.defaults()); }

  /** A generator over this model's parameters; close it before this model. */
  public Generator generator(Generator.Options options) {
    checkOpen();
    return new Generator(this, options);
  }

  /** The preset name or the directory's name. */
  public String name() { return name; }

  public CausalLm model() { return model; }

  public Backend backend() { return backend; }

  /** The parameters on the device (owned by this model). */
  public Tree<DeviceBuffer> parameters() {
    checkOpen();
    return params;
  }

  /** Whether the weights are random (a preset), so that the text means nothing. */
  public boolean randomWeights() { return randomWeights; }

  /** The tokenizer, where the model has one this build can read. */
  public Optional<Tokenizer> tokenizer() { return Optional.ofNullable(tokenizer); }

  /** Ids that end a request (the model's EOS). */
  public Set<Integer> eosIds() { return eos; }

  /**
   * The ids of {@code text} (BOS first where the model wants one).
   *
   * @throws IllegalStateException when the model has no tokenizer (give token ids instead)
   */
  public int[] encode(String text) {
    if (tokenizer == null) {
      throw new IllegalStateException("model '" + name + "' has no tokenizer this build reads; give the prompt as token"
          + " ids (Generator.generateTokens, --prompt-tokens)");
    }
    int[] ids = tokenizer.encode(text);
    OptionalInt bos = tokenizer.special().bos();
    if (!addBos || bos.isEmpty()) return ids;
    int[] out = new int[ids.length + 1];
    out[0] = bos.getAsInt();
    System.arraycopy(ids, 0, out, 1, ids.length);
    return out;
  }

  /** The text of {@code ids}; empty without a tokenizer. */
  public String decode(int[] ids) {
    return tokenizer == null ? "" : tokenizer.decode(ids);
  }

  private void checkOpen() {
    if (closed) throw new IllegalStateException("LanguageModel '" + name + "' has been closed");
  }

  /** Releases the parameters and the tokenizer; idempotent. */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    params.leaves().forEach(DeviceBuffer::close);
    if (tokenizer != null) tokenizer.close();
  }

  @Override
  public String toString() {
    return "LanguageModel(" + name + ", " + model.getClass().getSimpleName() + (randomWeights ? ", random weights" : "")
        + ")";
  }
}
