package org.xla4j.models.grok;

import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.generate.CacheStep;
import org.xla4j.models.generate.KvCache;
import org.xla4j.models.moe.Moe;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.moe.MoeWeights;
import org.xla4j.models.nn.ModelChecks;
import org.xla4j.models.nn.Norms;
import org.xla4j.models.nn.Rope;
import org.xla4j.models.quant.Linear;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * Grok-1's forward pass ({@link Grok1}'s equations) against a KV cache, for generation: the new tokens
 * at positions {@code step + arange(T)}, keys cached after RoPE, each query attending the row's written,
 * non-pad slots up to its own position. Returns the f32 logits of each row's last real token only.
 *
 * <pre>{@code
 * CacheStep cs = CacheStep.next(cache, tokens, lengths, OptionalInt.of(0));
 * Grok1Cached.Output out = Grok1Cached.forward(config, params, cs, Grok1.Options.defaults());
 * }</pre>
 */
public final class Grok1Cached {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private Grok1Cached() {}

  /**
   * @param logits f32 {@code [R, vocab]} at each row's last real new token
   * @param cache the updated cache tree
   */
  public record Output(Tensor logits, Tree<Tensor> cache) {}

  /** The cache shape of {@code c} for {@code batch} rows of up to {@code maxLength} tokens (bf16 keys and values). */
  public static KvCache cache(Grok1Config c, long batch, long maxLength) {
    return new KvCache(c.numLayers(), batch, maxLength, c.numKvHeads(), c.keySize(), DType.BF16);
  }

  /** Logits of the new tokens of {@code cs} under {@code params} ({@link Grok1Config#parameterTypes()}). */
  public static Output forward(Grok1Config c, Tree<Tensor> params, CacheStep cs, Grok1.Options o) {
    ModelChecks.parameters("grok1", c.parameterTypes(), params);
    if (o.activations() != DType.BF16 || o.precision() != org.xla4j.ir.Precision.DEFAULT) {
      // the KV cache and the decode programs are bf16 (inference); f32 compute is for training comparisons
      throw ModelChecks.error("grok1", "the cached (decode) forward computes in bf16 at DEFAULT precision, got "
          + "activations " + o.activations() + ", precision " + o.precision());
    }
    Graph g = cs.tokens().graph();
    Tensor ids = cs.tokens();
    Tensor table = params.get("language_model/in_out_embed/embeddings");
    Tensor h = table.take(ids, 0).astype(DType.BF16).mul(c.embeddingMultiplier());
    MoeOptions moe = o.moe().topK() == 0 ? o.moe().toBuilder().topK(c.numSelectedExperts()).build() : o.moe();
    Rope.Freqs f = Rope.precomputeFreqs(cs.positions(), c.keySize(), c.ropeTheta());
    for (int l = 0; l < c.numLayers(); l++) {
      Tree<Tensor> p = params.subtree("transformer/decoder_layer_" + l);
      Tensor hh = h;
      int layer = l;
      h = g.scope("decoder_layer_" + l, () -> {
        Tensor x = norm(c, hh, p, "rms_norm");
        Tensor a = g.scope("multi_head_attention",
            () -> attention(c, p.subtree("multi_head_attention"), x, f, cs, layer, o));
        Tensor h1 = hh.add(norm(c, a, p, "rms_norm_1"));
        Tensor y = norm(c, h1, p, "rms_norm_2");
        Tensor m = Moe.apply(moe, y, new MoeWeights(p.get("router/w"), Grok1.weight(p, "moe/linear"),
            Grok1.weight(p, "moe/linear_v"), Grok1.weight(p, "moe/linear_1"))).output();
        return h1.add(norm(c, m, p, "rms_norm_3"));
      });
    }
    Tensor last = cs.lastReal(h);
    last = Norms.rmsNorm(last, params.get("language_model/rms_norm/scale"), c.rmsEps());
    Tensor logits = Jnp.einsum("btd,vd->btv", last, table.astype(last.dtype())).mul(c.outputMultiplier());
    return new Output(logits.astype(DType.F32).reshape(logits.dim(0), logits.dim(2)), cs.finish());
  }

  private static Tensor attention(Grok1Config c, Tree<Tensor> p, Tensor x, Rope.Freqs f, CacheStep cs, int layer,
      Grok1.Options o) {
    long b = x.dim(0);
    long t = x.dim(1);
    Tensor q = Linear.apply(x, Grok1.weight(p, "query"), o.quant()).reshape(b, t, c.numQHeads(), c.keySize());
    Tensor k = Linear.apply(x, Grok1.weight(p, "key"), o.quant()).reshape(b, t, c.numKvHeads(), c.keySize());
    Tensor v = Linear.apply(x, Grok1.weight(p, "value"), o.quant()).reshape(b, t, c.numKvHeads(), c.keySize());
    q = Rope.applyRotaryHalf(q, f);
    k = Rope.applyRotaryHalf(k, f);
    AttentionOptions ao = AttentionOptions.builder().mechanism(o.attention()).numHeads(c.numQHeads())
        .numKvHeads(c.numKvHeads()).softmaxScale(c.attnOutputMultiplier()).logitSoftCap(c.maxAttnValue()).build();
    Tensor out = cs.attend(layer, q, k, v, ao);
    return Linear.apply(out.reshape(b, t, (long) c.numQHeads() * c.keySize()), Grok1.weight(p, "linear"), o.quant());
  }

  private static Tensor norm(Grok1Config c, Tensor x, Tree<Tensor> p, String name) {
    return Norms.rmsNorm(x, p.get(name + "/scale"), c.rmsEps());
  }
}
