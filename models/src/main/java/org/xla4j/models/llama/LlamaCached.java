package org.xla4j.models.llama;

import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.generate.CacheStep;
import org.xla4j.models.generate.KvCache;
import org.xla4j.models.nn.ModelChecks;
import org.xla4j.models.nn.Norms;
import org.xla4j.models.nn.Rope;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * Llama's forward pass ({@link Llama}'s equations) against a KV cache, for generation: new tokens at
 * positions {@code step + arange(T)}, keys cached after RoPE, each query attending its row's written,
 * non-pad slots up to its position. Returns the f32 logits of each row's last real token. qk_norm and
 * biases are honoured; a non-causal config and training options are refused (they cannot equal the full
 * forward with a cache).
 *
 * <pre>{@code
 * CacheStep cs = CacheStep.next(cache, tokens, lengths, config.padTokenId());
 * LlamaCached.Output out = LlamaCached.forward(config, params, cs, Llama.Options.defaults());
 * }</pre>
 */
public final class LlamaCached {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private LlamaCached() {}

  /**
   * @param logits f32 {@code [R, vocab]} at each row's last real new token
   * @param cache the updated cache tree
   */
  public record Output(Tensor logits, Tree<Tensor> cache) {}

  /** The cache shape of {@code c} for {@code batch} rows of up to {@code maxLength} tokens, in the config's dtype. */
  public static KvCache cache(LlamaConfig c, long batch, long maxLength) {
    return new KvCache(c.numLayers(), batch, maxLength, c.numKvHeads(), c.headDim(), c.dtype());
  }

  /** Logits of the new tokens of {@code cs} under {@code params} ({@link LlamaConfig#parameterTypes()}). */
  public static Output forward(LlamaConfig c, Tree<Tensor> params, CacheStep cs, Llama.Options o) {
    ModelChecks.parameters("llama", c.parameterTypes(), params);
    refuseWhatACacheCannotTake(c, o);
    Graph g = cs.tokens().graph();
    Tensor table = params.get("model/embed_tokens/embeddings");
    Tensor h = table.take(cs.tokens(), 0);
    Rope.Freqs freqs = LlamaRope.freqs(c, cs.positions());
    for (int l = 0; l < c.numLayers(); l++) {
      Tree<Tensor> p = params.subtree("model/layers/" + l);
      Tensor h0 = h;
      int layer = l;
      h = g.scope("layers_" + l, () -> {
        Tensor x = Norms.rmsNorm(h0, p.get("input_layernorm/scale"), c.rmsEps());
        Tensor a = g.scope("self_attn", () -> attention(c, p.subtree("self_attn"), x, freqs, cs, layer, o));
        Tensor h1 = h0.add(a);
        Tensor y = Norms.rmsNorm(h1, p.get("post_attention_layernorm/scale"), c.rmsEps());
        return h1.add(g.scope("mlp", () -> Llama.mlp(p.subtree("mlp"), y)));
      });
    }
    Tensor last = cs.lastReal(h);
    last = Norms.rmsNorm(last, params.get("model/norm/scale"), c.rmsEps());
    Tensor logits = c.tieWordEmbeddings() ? Jnp.einsum("btd,vd->btv", last, table)
        : Llama.linear(last, params.subtree("lm_head"));
    return new Output(logits.astype(DType.F32).reshape(logits.dim(0), logits.dim(2)), cs.finish());
  }

  /**
   * A cache holds only earlier tokens and the step runs for inference, so bidirectional attention and
   * training dropout would silently differ from {@link Llama#forward}: refused. (Segment ids are not an
   * input here at all; qk_norm and the biases are computed as in the full forward.)
   */
  private static void refuseWhatACacheCannotTake(LlamaConfig c, Llama.Options o) {
    if (!c.causal()) {
      throw ModelChecks.error("llama", "the KV-cached forward requires a causal config, got causal=false "
          + "(bidirectional attention needs later tokens a cache has not seen); use Llama.forward");
    }
    if (o.training()) {
      throw ModelChecks.error("llama", "the KV-cached forward is for inference and takes no dropout, got "
          + "Options.training=true; use Options.withTraining(false), or Llama.forward to train");
    }
  }

  private static Tensor attention(LlamaConfig c, Tree<Tensor> p, Tensor x, Rope.Freqs freqs, CacheStep cs, int layer,
      Llama.Options o) {
    long b = x.dim(0);
    long t = x.dim(1);
    Llama.Qkv qkv = Llama.qkv(c, p, x, freqs);
    AttentionOptions ao = AttentionOptions.builder().mechanism(o.mechanism(c)).numHeads(c.numHeads())
        .numKvHeads(c.numKvHeads()).build();
    Tensor out = cs.attend(layer, qkv.q(), qkv.k(), qkv.v(), ao).reshape(b, t, (long) c.numHeads() * c.headDim());
    return Llama.linear(out, p.subtree("o_proj"));
  }
}
