package org.xla4j.models.llama;

import java.util.Objects;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.OpException;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionInputs;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.nn.Activations;
import org.xla4j.models.nn.ModelChecks;
import org.xla4j.models.nn.Norms;
import org.xla4j.models.nn.Rope;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * Hugging Face {@code LlamaForCausalLM}'s forward pass, from tokens to f32 logits {@code [B, T, vocab]}.
 *
 * <ol>
 *   <li>Embedding lookup; the residual stream stays in the config's dtype.</li>
 *   <li>Per layer: {@code h += o(attn(rmsnorm(h)))}, {@code h += down(silu(gate(x)) ⊙ up(x))} with
 *       {@code x = rmsnorm(h)}; RMSNorm {@code weight · x / sqrt(mean(x²) + eps)} in f32.</li>
 *   <li>Attention: q, k, v projections (biases with attention_bias), rotate_half RoPE at positions
 *       {@code 0..T-1} ({@link LlamaRope}, llama3 scaling when configured), grouped-query heads, scale
 *       {@code 1/sqrt(head_dim)}, causal, keys hidden by the padding mask; softmax in f32.</li>
 *   <li>Final RMSNorm, then {@code lm_head} (or the embedding table when tied).</li>
 * </ol>
 * A query with no visible key (a padding token at the start of a row) gets a zero attention output.
 *
 * <pre>{@code
 * Graph g = new Graph("llama");
 * Tree<Tensor> params = g.parameters(config.parameterTypes());
 * Tensor tokens = g.parameter(DType.I32, 2, 16);
 * Tensor logits = Llama.forward(config, params, tokens, null, Llama.Options.defaults());
 * HloModule m = g.build(logits);
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
   * @param attention the attention mechanism (VANILLA default; BLOCKWISE; CUDNN on a CUDA GPU)
   */
  public record Options(Mechanism attention) {
    public Options {
      Objects.requireNonNull(attention, "attention");
    }

    public static Options defaults() { return new Options(Mechanism.VANILLA); }

    public Options withAttention(Mechanism m) { return new Options(m); }
  }

  /**
   * Adds the parameters (tree order), then {@code tokens i32 [batch, seq]}, then (when {@code withMask})
   * {@code attention_mask i32 [batch, seq]} (1 keep, 0 pad) to {@code g}, and returns the logits.
   */
  public static Tensor build(Graph g, LlamaConfig c, long batch, long seq, boolean withMask, Options o) {
    Tree<Tensor> params = g.parameters(c.parameterTypes());
    Tensor tokens = g.parameter(DType.I32, batch, seq);
    Tensor mask = withMask ? g.parameter(DType.I32, batch, seq) : null;
    return forward(c, params, tokens, mask, o);
  }

  /**
   * Logits f32 {@code [B, T, vocab]} of {@code tokens [B, T]}.
   *
   * @param attentionMask {@code [B, T]}, non-zero (or true) where a token is real; null: hide the config's
   *     pad_token_id when it has one, otherwise nothing
   */
  public static Tensor forward(LlamaConfig c, Tree<Tensor> params, Tensor tokens, Tensor attentionMask, Options o) {
    check(c, params, tokens, attentionMask);
    Graph g = tokens.graph();
    Tensor ids = tokens.astype(DType.I32);
    long t = ids.dim(1);
    Tensor keep = attentionMask != null ? (attentionMask.dtype() == DType.PRED ? attentionMask : attentionMask.ne(0L))
        : c.padTokenId().isPresent() ? ids.ne((long) c.padTokenId().getAsInt()) : null;
    Tensor table = params.get("model/embed_tokens/embeddings");
    Tensor h = table.take(ids, 0);
    Rope.Freqs freqs = LlamaRope.freqs(c, g.arange(t, DType.I32));
    for (int l = 0; l < c.numLayers(); l++) {
      Tree<Tensor> p = params.subtree("model/layers/" + l);
      Tensor h0 = h;
      h = g.scope("layers_" + l, () -> {
        Tensor x = Norms.rmsNorm(h0, p.get("input_layernorm/scale"), c.rmsEps());
        Tensor a = g.scope("self_attn", () -> attention(c, p.subtree("self_attn"), x, freqs, keep, o));
        Tensor h1 = h0.add(a);
        Tensor y = Norms.rmsNorm(h1, p.get("post_attention_layernorm/scale"), c.rmsEps());
        return h1.add(g.scope("mlp", () -> mlp(p.subtree("mlp"), y)));
      });
    }
    h = Norms.rmsNorm(h, params.get("model/norm/scale"), c.rmsEps());
    Tensor logits = c.tieWordEmbeddings() ? Jnp.einsum("btd,vd->btv", h, table) : linear(h, params.subtree("lm_head"));
    return logits.astype(DType.F32);
  }

  static Tensor attention(LlamaConfig c, Tree<Tensor> p, Tensor x, Rope.Freqs freqs, Tensor keep, Options o) {
    long b = x.dim(0);
    long t = x.dim(1);
    Tensor q = linear(x, p.subtree("q_proj")).reshape(b, t, c.numHeads(), c.headDim());
    Tensor k = linear(x, p.subtree("k_proj")).reshape(b, t, c.numKvHeads(), c.headDim());
    Tensor v = linear(x, p.subtree("v_proj")).reshape(b, t, c.numKvHeads(), c.headDim());
    q = Rope.applyRotaryHalf(q, freqs);
    k = Rope.applyRotaryHalf(k, freqs);
    AttentionOptions ao = AttentionOptions.builder().mechanism(o.attention()).causal(true)
        .numHeads(c.numHeads()).numKvHeads(c.numKvHeads()).build();
    AttentionInputs in = keep == null ? AttentionInputs.none() : AttentionInputs.none().withMask(keep);
    Tensor out = Attention.apply(ao, q, k, v, in).reshape(b, t, (long) c.numHeads() * c.headDim());
    return linear(out, p.subtree("o_proj"));
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

  private static void check(LlamaConfig c, Tree<Tensor> params, Tensor tokens, Tensor mask) {
    ModelChecks.parameters("llama", c.parameterTypes(), params);
    ModelChecks.tokens("llama", tokens);
    if (mask != null && !mask.shape().equals(tokens.shape())) {
      throw error("requires an attention mask shaped like the tokens " + tokens.shape() + ", got " + mask.type());
    }
  }

  private static OpException error(String detail) {
    return ModelChecks.error("llama", detail);
  }
}
