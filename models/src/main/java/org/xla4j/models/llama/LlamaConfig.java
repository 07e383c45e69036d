package org.xla4j.models.llama;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * A Hugging Face {@code LlamaForCausalLM} config (the keys of its {@code config.json}) and the model's
 * parameter tree. Paths mirror the Hugging Face names with matrices in {@code [in, out]} layout:
 * <ul>
 *   <li>{@code model/embed_tokens/embeddings [vocab, D]};</li>
 *   <li>{@code model/layers/N/self_attn/{q,k,v,o}_proj/w [in, out]} (and {@code b [out]} with attention_bias);</li>
 *   <li>{@code model/layers/N/mlp/{gate,up,down}_proj/w [in, out]} (and {@code b} with mlp_bias);</li>
 *   <li>{@code model/layers/N/{input,post_attention}_layernorm/scale [D]}, {@code model/norm/scale [D]};</li>
 *   <li>{@code lm_head/w [D, vocab]}, absent with tie_word_embeddings;</li>
 *   <li>with qk_norm: {@code model/layers/N/self_attn/{q,k}_norm/scale [head_dim]} (Hugging Face
 *       {@code self_attn.{q,k}_norm.weight}, as Qwen3 and OLMo-2 name them; xlstm-jax's {@code q_norm},
 *       {@code k_norm}).</li>
 * </ul>
 *
 * <p>NX-AI/xlstm-jax's Llama attention options map onto this config as follows (config.json keys in
 * parentheses; the ones without a Hugging Face Llama key take xlstm-jax's name):
 * <ul>
 *   <li>{@code head_dim}: {@link #headDim} ({@code head_dim}); xlstm-jax derives the head count as D / head_dim
 *       and has no grouped-query heads, so set {@code num_attention_heads = num_key_value_heads = D / head_dim};</li>
 *   <li>{@code qk_norm}: {@link #qkNorm} ({@code qk_norm}): RMSNorm over the head dim of q and k after their
 *       projections and BEFORE RoPE, with one learned scale [head_dim] each, shared by the heads; eps is
 *       rms_norm_eps (flax's RMSNorm default, which xlstm-jax uses, is 1e-6, Hugging Face's default too);</li>
 *   <li>{@code use_bias}: {@link #attentionBias} ({@code attention_bias}) for the attention module's
 *       q, k, v, out projections; xlstm-jax's model-wide {@code use_bias} is {@link Builder#useBias}, which also
 *       sets {@link #mlpBias};</li>
 *   <li>{@code dropout_rate}: {@link #hiddenDropout} ({@code dropout_rate}): xlstm-jax drops the attention
 *       output after the out projection, and the MLP output, before each residual add, in training only.
 *       Hugging Face's {@code attention_dropout} (on the attention probabilities) is {@link #attentionDropout}.
 *       Both need {@link Llama.Options#training} and a key; evaluation is the identity;</li>
 *   <li>{@code causal}: {@link #causal} ({@code causal}, default true); false is bidirectional attention;</li>
 *   <li>{@code segment_ids}: an input of the forward pass ({@link Llama.Inputs#segmentIds()}):
 *       a query attends a key only when their segment ids are equal (and, when causal, the key is not later).
 *       As in xlstm-jax's {@code segment_mask}, every id, 0 included, is just a segment: padding is the
 *       attention mask's or pad_token_id's job;</li>
 *   <li>{@code attention_backend}: {@link #attention} ({@code attention_backend}): {@code xla} is
 *       {@link Mechanism#VANILLA}, {@code cudnn} {@link Mechanism#CUDNN}, {@code pallas_triton} (a flash
 *       kernel) {@link Mechanism#BLOCKWISE}; see {@link #mechanismOf(String)}.</li>
 * </ul>
 * Two differences remain, by design: our RoPE is Hugging Face's rotate_half (xlstm-jax rotates interleaved
 * pairs, so its weights need q/k columns permuted), and our logit scale is 1/sqrt(head_dim).
 *
 * <pre>{@code
 * LlamaConfig c = LlamaConfig.fromJson(Files.readString(dir.resolve("config.json")));
 * LlamaConfig t = LlamaConfig.tiny().toBuilder().tieWordEmbeddings(true).build();
 * Tree<TensorType> params = c.parameterTypes();
 * }</pre>
 *
 * @param vocabSize vocab_size
 * @param hiddenSize hidden_size (D)
 * @param intermediateSize intermediate_size (MLP width)
 * @param numLayers num_hidden_layers
 * @param numHeads num_attention_heads
 * @param numKvHeads num_key_value_heads, dividing numHeads (grouped-query attention)
 * @param headDim head_dim (default hidden_size / num_attention_heads), even
 * @param rmsEps rms_norm_eps
 * @param ropeTheta rope_theta
 * @param ropeScaling rope_scaling of type llama3, when present
 * @param maxPositions max_position_embeddings
 * @param tieWordEmbeddings tie_word_embeddings: the embedding table is also the output projection
 * @param attentionBias attention_bias: q, k, v and o projections have biases
 * @param mlpBias mlp_bias: gate, up and down projections have biases
 * @param bosTokenId bos_token_id
 * @param eosTokenIds eos_token_id (one or several)
 * @param padTokenId pad_token_id; when present, keys holding it are hidden
 * @param dtype the parameters' and activations' float type (torch_dtype)
 * @param qkNorm qk_norm: RMSNorm on each query and key head vector before RoPE, with learned scales
 * @param causal causal (default true): a query sees only keys at or before it; false is bidirectional
 * @param attentionDropout attention_dropout: dropout rate on the attention probabilities, in [0, 1)
 * @param hiddenDropout dropout_rate (xlstm-jax): dropout rate on the attention and MLP outputs, in [0, 1)
 * @param attention attention_backend: the attention mechanism {@link Llama.Options#defaults()} runs
 */
public record LlamaConfig(
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    double rmsEps,
    double ropeTheta,
    Optional<RopeScaling> ropeScaling,
    int maxPositions,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    boolean mlpBias,
    OptionalInt bosTokenId,
    List<Integer> eosTokenIds,
    OptionalInt padTokenId,
    DType dtype,
    boolean qkNorm,
    boolean causal,
    double attentionDropout,
    double hiddenDropout,
    Mechanism attention) {

  public LlamaConfig {
    Objects.requireNonNull(ropeScaling, "ropeScaling");
    Objects.requireNonNull(bosTokenId, "bosTokenId");
    Objects.requireNonNull(padTokenId, "padTokenId");
    eosTokenIds = List.copyOf(eosTokenIds);
    positive("vocab_size", vocabSize);
    positive("hidden_size", hiddenSize);
    positive("intermediate_size", intermediateSize);
    positive("num_hidden_layers", numLayers);
    positive("num_attention_heads", numHeads);
    positive("num_key_value_heads", numKvHeads);
    positive("head_dim", headDim);
    positive("max_position_embeddings", maxPositions);
    if (headDim % 2 != 0) throw new IllegalArgumentException("LlamaConfig requires an even head_dim (RoPE), got " + headDim);
    if (numHeads % numKvHeads != 0) {
      throw new IllegalArgumentException("LlamaConfig requires num_key_value_heads dividing num_attention_heads, got "
          + numKvHeads + " and " + numHeads);
    }
    if (!(rmsEps > 0) || !(ropeTheta > 0)) {
      throw new IllegalArgumentException("LlamaConfig requires rms_norm_eps > 0 and rope_theta > 0, got " + rmsEps
          + " and " + ropeTheta);
    }
    if (dtype == null || !dtype.isFloat()) throw new IllegalArgumentException("LlamaConfig requires a float dtype, got " + dtype);
    rate("attention_dropout", attentionDropout);
    rate("dropout_rate", hiddenDropout);
    Objects.requireNonNull(attention, "attention");
    if (attention != Mechanism.VANILLA && attention != Mechanism.BLOCKWISE && attention != Mechanism.CUDNN) {
      throw new IllegalArgumentException("LlamaConfig requires attention_backend VANILLA, BLOCKWISE or CUDNN "
          + "(xla, pallas_triton, cudnn), got " + attention);
    }
  }

  private static void rate(String key, double r) {
    if (!(r >= 0 && r < 1)) throw new IllegalArgumentException("LlamaConfig requires " + key + " in [0, 1), got " + r);
  }

  /**
   * The mechanism of an xlstm-jax {@code attention_backend} name: {@code xla} VANILLA, {@code cudnn} CUDNN,
   * {@code pallas_triton} BLOCKWISE (both flash-style: chunked with an online softmax). Our own names
   * ({@code vanilla}, {@code blockwise}, {@code cudnn}, any case) are taken too.
   *
   * @throws IllegalArgumentException naming attention_backend and the accepted values
   */
  public static Mechanism mechanismOf(String backend) {
    return switch (backend.toLowerCase(Locale.ROOT)) {
      case "xla", "vanilla" -> Mechanism.VANILLA;
      case "cudnn" -> Mechanism.CUDNN;
      case "pallas_triton", "blockwise" -> Mechanism.BLOCKWISE;
      default -> throw new IllegalArgumentException("Llama config: attention_backend '" + backend
          + "' is not one of xla, cudnn, pallas_triton (or vanilla, blockwise)");
    };
  }

  /** vocab 64, D 32, MLP 48, 2 layers, 4 query / 2 kv heads of 8, f32, untied: quick on a CPU. */
  public static LlamaConfig tiny() {
    return builder().vocabSize(64).hiddenSize(32).intermediateSize(48).numLayers(2).heads(4, 2).headDim(8)
        .maxPositions(128).dtype(DType.F32).build();
  }

  /** Parameter types under the paths described above, in the tree's order. */
  public Tree<TensorType> parameterTypes() {
    Tree.Builder<TensorType> b = Tree.builder();
    long d = hiddenSize;
    long q = (long) numHeads * headDim;
    long kv = (long) numKvHeads * headDim;
    long f = intermediateSize;
    b.put("model/embed_tokens/embeddings", TensorType.of(dtype, vocabSize, d));
    b.put("model/norm/scale", TensorType.of(dtype, d));
    if (!tieWordEmbeddings) b.put("lm_head/w", TensorType.of(dtype, d, vocabSize));
    for (int l = 0; l < numLayers; l++) {
      String pre = "model/layers/" + l + "/";
      linear(b, pre + "self_attn/q_proj", d, q, attentionBias);
      linear(b, pre + "self_attn/k_proj", d, kv, attentionBias);
      linear(b, pre + "self_attn/v_proj", d, kv, attentionBias);
      linear(b, pre + "self_attn/o_proj", q, d, attentionBias);
      linear(b, pre + "mlp/gate_proj", d, f, mlpBias);
      linear(b, pre + "mlp/up_proj", d, f, mlpBias);
      linear(b, pre + "mlp/down_proj", f, d, mlpBias);
      b.put(pre + "input_layernorm/scale", TensorType.of(dtype, d));
      b.put(pre + "post_attention_layernorm/scale", TensorType.of(dtype, d));
      if (qkNorm) {
        b.put(pre + "self_attn/q_norm/scale", TensorType.of(dtype, headDim));
        b.put(pre + "self_attn/k_norm/scale", TensorType.of(dtype, headDim));
      }
    }
    return b.build();
  }

  private void linear(Tree.Builder<TensorType> b, String module, long in, long out, boolean bias) {
    b.put(module + "/w", TensorType.of(dtype, in, out));
    if (bias) b.put(module + "/b", TensorType.of(dtype, out));
  }

  /**
   * Reads a Hugging Face {@code config.json}. Absent keys take LlamaConfig's defaults (head_dim =
   * hidden_size / num_attention_heads, num_key_value_heads = num_attention_heads, rms_norm_eps 1e-6,
   * rope_theta 1e4, torch_dtype float32, qk_norm false, causal true, attention_dropout and dropout_rate 0,
   * attention_backend xla). A rope_scaling of another type than llama3 is refused.
   *
   * @throws IllegalArgumentException naming the key that is missing or malformed
   */
  public static LlamaConfig fromJson(String json) {
    JsonObject o;
    try {
      o = JsonParser.parseString(json).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("Llama config.json is not a JSON object: " + e.getMessage(), e);
    }
    Builder b = builder();
    b.vocabSize(requireInt(o, "vocab_size"));
    b.hiddenSize(requireInt(o, "hidden_size"));
    b.intermediateSize(requireInt(o, "intermediate_size"));
    b.numLayers(requireInt(o, "num_hidden_layers"));
    int heads = requireInt(o, "num_attention_heads");
    b.heads(heads, intOr(o, "num_key_value_heads", heads));
    b.headDim(intOr(o, "head_dim", b.hiddenSize / Math.max(1, heads)));
    b.rmsEps(doubleOr(o, "rms_norm_eps", 1e-6));
    b.ropeTheta(doubleOr(o, "rope_theta", 1e4));
    b.maxPositions(intOr(o, "max_position_embeddings", 2048));
    b.tieWordEmbeddings(boolOr(o, "tie_word_embeddings", false));
    b.attentionBias(boolOr(o, "attention_bias", false));
    b.mlpBias(boolOr(o, "mlp_bias", false));
    b.bosTokenId(optInt(o, "bos_token_id"));
    b.padTokenId(optInt(o, "pad_token_id"));
    JsonElement eos = o.get("eos_token_id");
    List<Integer> eosIds = new ArrayList<>();
    if (eos != null && eos.isJsonArray()) {
      for (JsonElement e : eos.getAsJsonArray()) eosIds.add(e.getAsInt());
    } else if (eos != null && !eos.isJsonNull()) {
      eosIds.add(eos.getAsInt());
    }
    b.eosTokenIds(eosIds);
    JsonElement rs = o.get("rope_scaling");
    if (rs != null && !rs.isJsonNull()) b.ropeScaling(ropeScaling(rs.getAsJsonObject()));
    JsonElement dt = o.get("torch_dtype");
    b.dtype(dt != null && !dt.isJsonNull() ? torchDtype(dt.getAsString()) : DType.F32);
    b.qkNorm(boolOr(o, "qk_norm", false));
    b.causal(boolOr(o, "causal", true));
    b.attentionDropout(doubleOr(o, "attention_dropout", 0.0));
    b.hiddenDropout(doubleOr(o, "dropout_rate", 0.0));
    JsonElement backend = present(o, "attention_backend");
    if (backend != null) {
      if (!backend.isJsonPrimitive() || !backend.getAsJsonPrimitive().isString()) {
        throw new IllegalArgumentException("Llama config.json: 'attention_backend' must be a string, got " + backend);
      }
      b.attention(mechanismOf(backend.getAsString()));
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Llama config.json: " + e.getMessage(), e);
    }
  }

  private static RopeScaling ropeScaling(JsonObject s) {
    JsonElement t = s.has("rope_type") ? s.get("rope_type") : s.get("type");
    String type = t == null || t.isJsonNull() ? "(none)" : t.getAsString();
    if (!type.equals("llama3")) {
      throw new IllegalArgumentException("Llama config.json: rope_scaling type '" + type + "' is not supported (llama3 is)");
    }
    return new RopeScaling(requireDouble(s, "factor"), requireDouble(s, "low_freq_factor"),
        requireDouble(s, "high_freq_factor"), requireInt(s, "original_max_position_embeddings"));
  }

  /** {@code float32}, {@code bfloat16}, {@code float16} to our dtypes. */
  public static DType torchDtype(String name) {
    return switch (name) {
      case "float32", "float" -> DType.F32;
      case "bfloat16" -> DType.BF16;
      case "float16", "half" -> DType.F16;
      default -> throw new IllegalArgumentException("Llama config.json: torch_dtype '" + name + "' is not a float type "
          + "we run (float32, bfloat16, float16)");
    };
  }

  private static JsonElement present(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? null : e;
  }

  private static int requireInt(JsonObject o, String key) {
    JsonElement e = present(o, key);
    if (e == null) throw new IllegalArgumentException("Llama config.json requires '" + key + "'");
    try {
      return e.getAsInt();
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException("Llama config.json: '" + key + "' must be an integer, got " + e);
    }
  }

  private static double requireDouble(JsonObject o, String key) {
    JsonElement e = present(o, key);
    if (e == null) throw new IllegalArgumentException("Llama config.json requires '" + key + "'");
    try {
      return e.getAsDouble();
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException("Llama config.json: '" + key + "' must be a number, got " + e);
    }
  }

  private static int intOr(JsonObject o, String key, int dflt) { return present(o, key) == null ? dflt : requireInt(o, key); }

  private static double doubleOr(JsonObject o, String key, double dflt) {
    return present(o, key) == null ? dflt : requireDouble(o, key);
  }

  private static boolean boolOr(JsonObject o, String key, boolean dflt) {
    JsonElement e = present(o, key);
    if (e == null) return dflt;
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw new IllegalArgumentException("Llama config.json: '" + key + "' must be true or false, got " + e);
    }
    return e.getAsBoolean();
  }

  private static OptionalInt optInt(JsonObject o, String key) {
    return present(o, key) == null ? OptionalInt.empty() : OptionalInt.of(requireInt(o, key));
  }

  private static void positive(String key, int v) {
    if (v <= 0) throw new IllegalArgumentException("LlamaConfig requires " + key + " > 0, got " + v);
  }

  public static Builder builder() { return new Builder(); }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.vocabSize = vocabSize;
    b.hiddenSize = hiddenSize;
    b.intermediateSize = intermediateSize;
    b.numLayers = numLayers;
    b.numHeads = numHeads;
    b.numKvHeads = numKvHeads;
    b.headDim = headDim;
    b.rmsEps = rmsEps;
    b.ropeTheta = ropeTheta;
    b.ropeScaling = ropeScaling;
    b.maxPositions = maxPositions;
    b.tieWordEmbeddings = tieWordEmbeddings;
    b.attentionBias = attentionBias;
    b.mlpBias = mlpBias;
    b.bosTokenId = bosTokenId;
    b.eosTokenIds = eosTokenIds;
    b.padTokenId = padTokenId;
    b.dtype = dtype;
    b.qkNorm = qkNorm;
    b.causal = causal;
    b.attentionDropout = attentionDropout;
    b.hiddenDropout = hiddenDropout;
    b.attention = attention;
    return b;
  }

  /** Builder of {@link LlamaConfig}; starts from Llama-2-7B's sizes in bf16. headDim 0 means D / heads. */
  public static final class Builder {
    private int vocabSize = 32000;
    private int hiddenSize = 4096;
    private int intermediateSize = 11008;
    private int numLayers = 32;
    private int numHeads = 32;
    private int numKvHeads = 32;
    private int headDim = 0;
    private double rmsEps = 1e-6;
    private double ropeTheta = 1e4;
    private Optional<RopeScaling> ropeScaling = Optional.empty();
    private int maxPositions = 4096;
    private boolean tieWordEmbeddings;
    private boolean attentionBias;
    private boolean mlpBias;
    private OptionalInt bosTokenId = OptionalInt.empty();
    private List<Integer> eosTokenIds = List.of();
    private OptionalInt padTokenId = OptionalInt.empty();
    private DType dtype = DType.BF16;
    private boolean qkNorm;
    private boolean causal = true;
    private double attentionDropout;
    private double hiddenDropout;
    private Mechanism attention = Mechanism.VANILLA;

    private Builder() {}

    public Builder vocabSize(int n) { vocabSize = n; return this; }

    public Builder hiddenSize(int n) { hiddenSize = n; return this; }

    public Builder intermediateSize(int n) { intermediateSize = n; return this; }

    public Builder numLayers(int n) { numLayers = n; return this; }

    /** Query and key/value heads. */
    public Builder heads(int q, int kv) { numHeads = q; numKvHeads = kv; return this; }

    public Builder headDim(int n) { headDim = n; return this; }

    public Builder rmsEps(double e) { rmsEps = e; return this; }

    public Builder ropeTheta(double t) { ropeTheta = t; return this; }

    public Builder ropeScaling(RopeScaling s) { ropeScaling = Optional.ofNullable(s); return this; }

    public Builder maxPositions(int n) { maxPositions = n; return this; }

    public Builder tieWordEmbeddings(boolean on) { tieWordEmbeddings = on; return this; }

    public Builder attentionBias(boolean on) { attentionBias = on; return this; }

    public Builder mlpBias(boolean on) { mlpBias = on; return this; }

    public Builder bosTokenId(OptionalInt id) { bosTokenId = id; return this; }

    public Builder eosTokenIds(List<Integer> ids) { eosTokenIds = ids; return this; }

    public Builder padTokenId(OptionalInt id) { padTokenId = id; return this; }

    public Builder padTokenId(int id) { padTokenId = OptionalInt.of(id); return this; }

    public Builder dtype(DType d) { dtype = d; return this; }

    /** RMSNorm (learned scale [head_dim]) on query and key heads before RoPE. */
    public Builder qkNorm(boolean on) { qkNorm = on; return this; }

    /** False: bidirectional attention. */
    public Builder causal(boolean on) { causal = on; return this; }

    /** Dropout on the attention probabilities in training (Hugging Face's attention_dropout). */
    public Builder attentionDropout(double rate) { attentionDropout = rate; return this; }

    /** Dropout on the attention and MLP outputs in training (xlstm-jax's dropout_rate). */
    public Builder hiddenDropout(double rate) { hiddenDropout = rate; return this; }

    /** xlstm-jax's model-wide use_bias: biases on every attention and MLP projection. */
    public Builder useBias(boolean on) { attentionBias = on; mlpBias = on; return this; }

    /** The mechanism {@link Llama.Options#defaults()} runs. */
    public Builder attention(Mechanism m) { attention = m; return this; }

    /** An xlstm-jax attention_backend name ({@link #mechanismOf}). */
    public Builder attentionBackend(String name) { attention = mechanismOf(name); return this; }

    public LlamaConfig build() {
      int hd = headDim > 0 ? headDim : hiddenSize / Math.max(1, numHeads);
      return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, hd, rmsEps,
          ropeTheta, ropeScaling, maxPositions, tieWordEmbeddings, attentionBias, mlpBias, bosTokenId, eosTokenIds,
          padTokenId, dtype, qkNorm, causal, attentionDropout, hiddenDropout, attention);
    }
  }
}
