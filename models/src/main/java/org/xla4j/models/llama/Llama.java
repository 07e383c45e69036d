package org.xla4j.models.llama;

import java.util.Objects;
import java.util.Optional;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Lax;
import org.xla4j.dsl.RngResult;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.OpException;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionInputs;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.nn.Activations;
import org.xla4j.models.nn.Dropout;
import org.xla4j.models.nn.ModelChecks;
import org.xla4j.models.nn.Norms;
import org.xla4j.models.nn.Rope;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Hugging Face {@code LlamaForCausalLM}'s forward pass, from tokens to f32 logits {@code [B, T, vocab]}.
 *
 * <ol>
 *   <li>Embedding lookup; the residual stream stays in the config's dtype.</li>
 *   <li>Per layer: {@code h += o(attn(rmsnorm(h)))}, {@code h += down(silu(gate(x)) ⊙ up(x))} with
 *       {@code x = rmsnorm(h)}; RMSNorm {@code weight · x / sqrt(mean(x²) + eps)} in f32.</li>
 *   <li>Attention: q, k, v projections (biases with attention_bias), with qk_norm an RMSNorm of each q and
 *       k head, rotate_half RoPE at positions {@code 0..T-1} ({@link LlamaRope}, llama3 scaling when
 *       configured), grouped-query heads, scale {@code 1/sqrt(head_dim)}, causal unless the config says
 *       otherwise, keys hidden by the padding mask and by other segments ({@link Inputs#segmentIds});
 *       softmax in f32.</li>
 *   <li>In training ({@link Options#training}, with {@link Inputs#dropoutKey}): dropout on the attention
 *       probabilities (attention_dropout) and on the attention and MLP outputs (dropout_rate).</li>
 *   <li>Final RMSNorm, then {@code lm_head} (or the embedding table when tied).</li>
 * </ol>
 * A query with no visible key (a padding token at the start of a row) gets a zero attention output.
 *
 * <pre>{@code
 * Graph g = new Graph("llama");
 * Tree<Tensor> params = g.parameters(config.parameterTypes());
 * Tensor tokens = g.parameter(DType.I32, 2, 16);
 * Tensor logits = Llama.forward(config, params, tokens, null, Llama.Options.defaults());
 * // packed sequences, training with dropout:
 * Tensor seg = g.parameter(DType.I32, 2, 16);
 * Tensor key = g.parameter(DType.U64, 2);
 * Tensor train = Llama.forward(config, params, tokens, Llama.Options.defaults().withTraining(true),
 *     Llama.Inputs.NONE.withSegmentIds(seg).withDropoutKey(key));
 * }</pre>
 */
public final class Llama {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private Llama() {}

  /**
   * How to evaluate the model.
   *
   * @param attention the attention mechanism (VANILLA; BLOCKWISE; CUDNN on a CUDA GPU); empty: the config's
   *     {@link LlamaConfig#attention()} (attention_backend)
   * @param training apply the config's dropout (needs {@link Inputs#dropoutKey} when a rate is positive);
   *     false (evaluation): no dropout
   */
  public record Options(Optional<Mechanism> attention, boolean training) {
    public Options {
      Objects.requireNonNull(attention, "attention");
    }

    /** A fixed mechanism, evaluation. */
    public Options(Mechanism attention) { this(Optional.of(attention), false); }

    /** The config's mechanism, evaluation. */
    public static Options defaults() { return new Options(Optional.empty(), false); }

    public Options withAttention(Mechanism m) { return new Options(Optional.of(m), training); }

    public Options withTraining(boolean on) { return new Options(attention, on); }

    /** The mechanism that runs for config {@code c}. */
    public Mechanism mechanism(LlamaConfig c) { return attention.orElse(c.attention()); }
  }

  /**
   * The optional per-call tensors of a forward pass. All may be null.
   *
   * @param attentionMask {@code [B, T]}, non-zero (or true) where a token is real; null: hide the config's
   *     pad_token_id when it has one, otherwise nothing
   * @param segmentIds integer {@code [B, T]}: a query attends only keys of its own segment (packed
   *     sequences, xlstm-jax's segment_ids); every id is a segment, 0 included
   * @param dropoutKey ui64[2] generator state for training dropout ({@code Rng.key(g, seed)} or an argument)
   */
  public record Inputs(Tensor attentionMask, Tensor segmentIds, Tensor dropoutKey) {
    public static final Inputs NONE = new Inputs(null, null, null);

    public Inputs withAttentionMask(Tensor m) { return new Inputs(m, segmentIds, dropoutKey); }

    public Inputs withSegmentIds(Tensor ids) { return new Inputs(attentionMask, ids, dropoutKey); }

    public Inputs withDropoutKey(Tensor key) { return new Inputs(attentionMask, segmentIds, key); }
  }

  /**
   * Adds the parameters (tree order), then {@code tokens i32 [batch, seq]}, then (when {@code withMask})
   * {@code attention_mask i32 [batch, seq]} (1 keep, 0 pad) to {@code g}, and returns the logits.
   */
  public static Tensor build(Graph g, LlamaConfig c, long batch, long seq, boolean withMask, Options o) {
    return build(g, c, batch, seq, withMask, false, o);
  }

  /**
   * As {@link #build(Graph, LlamaConfig, long, long, boolean, Options)}, then (when {@code withSegmentIds})
   * {@code segment_ids i32 [batch, seq]}, then (when {@code o.training()}) {@code dropout_key ui64[2]}.
   */
  public static Tensor build(Graph g, LlamaConfig c, long batch, long seq, boolean withMask, boolean withSegmentIds,
      Options o) {
    Tree<Tensor> params = g.parameters(c.parameterTypes());
    Tensor tokens = g.parameter(DType.I32, batch, seq);
    Tensor mask = withMask ? g.parameter(DType.I32, batch, seq) : null;
    Tensor seg = withSegmentIds ? g.parameter(DType.I32, batch, seq) : null;
    Tensor key = o.training() ? g.parameter(DType.U64, 2) : null;
    return forward(c, params, tokens, o, new Inputs(mask, seg, key));
  }

  /**
   * Logits f32 {@code [B, T, vocab]} of {@code tokens [B, T]}.
   *
   * @param attentionMask {@code [B, T]}, non-zero (or true) where a token is real; null: hide the config's
   *     pad_token_id when it has one, otherwise nothing
   */
  public static Tensor forward(LlamaConfig c, Tree<Tensor> params, Tensor tokens, Tensor attentionMask, Options o) {
    return forward(c, params, tokens, o, Inputs.NONE.withAttentionMask(attentionMask));
  }

  /**
   * Logits f32 {@code [B, T, vocab]} of {@code tokens [B, T]} with the optional {@link Inputs} (last, so that
   * the older {@code forward(c, params, tokens, null, o)} stays unambiguous).
   *
   * @throws OpException naming the option or input that does not fit (segment ids of another shape, dropout
   *     in training without a key, a key outside training)
   */
  public static Tensor forward(LlamaConfig c, Tree<Tensor> params, Tensor tokens, Options o, Inputs in) {
    Objects.requireNonNull(in, "inputs");
    Objects.requireNonNull(o, "options");
    check(c, params, tokens, in, o);
    Graph g = tokens.graph();
    Tensor ids = tokens.astype(DType.I32);
    long t = ids.dim(1);
    Tensor attentionMask = in.attentionMask();
    Tensor keep = attentionMask != null ? (attentionMask.dtype() == DType.PRED ? attentionMask : attentionMask.ne(0L))
        : c.padTokenId().isPresent() ? ids.ne((long) c.padTokenId().getAsInt()) : null;
    Tensor table = params.get("model/embed_tokens/embeddings");
    Tensor h = table.take(ids, 0);
    Rope.Freqs freqs = LlamaRope.freqs(c, g.arange(t, DType.I32));
    Keys keys = new Keys(o.training() ? in.dropoutKey() : null);
    for (int l = 0; l < c.numLayers(); l++) {
      Tree<Tensor> p = params.subtree("model/layers/" + l);
      Tensor h0 = h;
      h = g.scope("layers_" + l, () -> {
        Tensor x = Norms.rmsNorm(h0, p.get("input_layernorm/scale"), c.rmsEps());
        Tensor a = g.scope("self_attn", () -> attention(c, p.subtree("self_attn"), x, freqs, keep, in.segmentIds(),
            keys, o));
        Tensor h1 = h0.add(keys.drop(a, c.hiddenDropout()));
        Tensor y = Norms.rmsNorm(h1, p.get("post_attention_layernorm/scale"), c.rmsEps());
        return h1.add(keys.drop(g.scope("mlp", () -> mlp(p.subtree("mlp"), y)), c.hiddenDropout()));
      });
    }
    h = Norms.rmsNorm(h, params.get("model/norm/scale"), c.rmsEps());
    Tensor logits = c.tieWordEmbeddings() ? Jnp.einsum("btd,vd->btv", h, table) : linear(h, params.subtree("lm_head"));
    return logits.astype(DType.F32);
  }

  static Tensor attention(LlamaConfig c, Tree<Tensor> p, Tensor x, Rope.Freqs freqs, Tensor keep, Tensor segmentIds,
      Keys keys, Options o) {
    long b = x.dim(0);
    long t = x.dim(1);
    Qkv qkv = qkv(c, p, x, freqs);
    Tensor q = qkv.q();
    Tensor k = qkv.k();
    Tensor v = qkv.v();
    Tensor key = keys.active() && c.attentionDropout() > 0 ? keys.next() : null;
    AttentionOptions ao = AttentionOptions.builder().mechanism(o.mechanism(c)).causal(c.causal())
        .numHeads(c.numHeads()).numKvHeads(c.numKvHeads()).dropout(key == null ? 0 : c.attentionDropout()).build();
    AttentionInputs in = AttentionInputs.none();
    if (keep != null) in = in.withMask(keep);
    if (segmentIds != null) in = in.withSegmentIds(segmentIds);
    if (key != null) in = in.withDropoutKey(key);
    Tensor out = Attention.apply(ao, q, k, v, in).reshape(b, t, (long) c.numHeads() * c.headDim());
    return linear(out, p.subtree("o_proj"));
  }

  /** Queries {@code [B, T, H, hd]}, keys and values {@code [B, T, Hkv, hd]}, ready for attention. */
  record Qkv(Tensor q, Tensor k, Tensor v) {}

  /**
   * The q, k, v projections of {@code x [B, T, D]}, q and k normalized (qk_norm) and rotated at {@code freqs}'
   * positions: shared by the full and the KV-cached forward so that both compute the same attention inputs.
   */
  static Qkv qkv(LlamaConfig c, Tree<Tensor> p, Tensor x, Rope.Freqs freqs) {
    long b = x.dim(0);
    long t = x.dim(1);
    Tensor q = linear(x, p.subtree("q_proj")).reshape(b, t, c.numHeads(), c.headDim());
    Tensor k = linear(x, p.subtree("k_proj")).reshape(b, t, c.numKvHeads(), c.headDim());
    Tensor v = linear(x, p.subtree("v_proj")).reshape(b, t, c.numKvHeads(), c.headDim());
    // xlstm-jax (and Qwen3, OLMo-2) normalize before RoPE: the rotation keeps each head's norm anyway
    if (c.qkNorm()) {
      q = Norms.rmsNorm(q, p.get("q_norm/scale"), c.rmsEps());
      k = Norms.rmsNorm(k, p.get("k_norm/scale"), c.rmsEps());
    }
    return new Qkv(Rope.applyRotaryHalf(q, freqs), Rope.applyRotaryHalf(k, freqs), v);
  }

  /** Hands out one fresh dropout key per use, split off a training key in a fixed order; inactive without one. */
  static final class Keys {
    private Tensor state;

    Keys(Tensor key) { this.state = key; }

    boolean active() { return state != null; }

    /** A new ui64[2] key: 128 bits drawn from the state, which then advances. */
    Tensor next() {
      RngResult r = Lax.rngBits(state, TensorType.of(DType.U64, 2));
      state = r.state();
      return r.value();
    }

    /** Dropout of {@code x} at {@code rate} with a fresh key; the identity when inactive or rate 0. */
    Tensor drop(Tensor x, double rate) {
      return active() && rate > 0 ? Dropout.apply(x, rate, next()).value() : x;
    }
  }

  static Tensor mlp(Tree<Tensor> p, Tensor x) {
    Tensor gate = Activations.silu(linear(x, p.subtree("gate_proj")));
    return linear(gate.mul(linear(x, p.subtree("up_proj"))), p.subtree("down_proj"));
  }

  /** {@code x [B, T, in] · w [in, out] (+ b)}. */
  static Tensor linear(Tensor x, Tree<Tensor> p) {
    Tensor y = Jnp.einsum("bti,io->bto", x, p.get("w"));
    return p.contains("b") ? y.add(p.get("b")) : y;
  }

  private static void check(LlamaConfig c, Tree<Tensor> params, Tensor tokens, Inputs in, Options o) {
    ModelChecks.parameters("llama", c.parameterTypes(), params);
    ModelChecks.tokens("llama", tokens);
    Tensor mask = in.attentionMask();
    if (mask != null && !mask.shape().equals(tokens.shape())) {
      throw error("requires an attention mask shaped like the tokens " + tokens.shape() + ", got " + mask.type());
    }
    Tensor seg = in.segmentIds();
    if (seg != null && (!seg.shape().equals(tokens.shape()) || !seg.dtype().isInteger())) {
      throw error("requires segment_ids of an integer type shaped like the tokens " + tokens.shape() + ", got "
          + seg.type());
    }
    Tensor key = in.dropoutKey();
    if (key != null && (key.dtype() != DType.U64 || !key.shape().equals(Shape.of(2)))) {
      throw error("requires a ui64[2] dropout key (Rng.key or a program argument), got " + key.type());
    }
    boolean dropout = c.attentionDropout() > 0 || c.hiddenDropout() > 0;
    if (o.training() && dropout && key == null) {
      throw error("training with attention_dropout " + c.attentionDropout() + " and dropout_rate " + c.hiddenDropout()
          + " requires a dropout key (Inputs.withDropoutKey); for evaluation use Options.withTraining(false)");
    }
    if (!o.training() && key != null) {
      throw error("was given a dropout key but Options.training is false: evaluation applies no dropout; "
          + "pass Options.withTraining(true) to train, or no key");
    }
  }

  private static OpException error(String detail) {
    return ModelChecks.error("llama", detail);
  }
}
