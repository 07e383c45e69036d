package org.xla4j.models.grok;

import java.util.regex.Pattern;
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
import org.xla4j.models.quant.Weight;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

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
    return forward(c, params, cs, o, false);
  }

  /**
   * As {@link #forward(Grok1Config, Tree, CacheStep, Grok1.Options)}; with {@code expertsMinor} the expert matrices
   * come stored {@code [E, out, in]} ({@link #contractionMinorTypes}; int8: the int8 values so, the scales as the tree
   * has them), which the MoE layer takes as they are ({@link MoeWeights#contractionMinor}).
   */
  public static Output forward(Grok1Config c, Tree<Tensor> params, CacheStep cs, Grok1.Options o, boolean expertsMinor) {
    ModelChecks.parameters("grok1", expertsMinor ? contractionMinorTypes(c.parameterTypes()) : c.parameterTypes(),
        params);
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
        Tensor m = Moe.apply(moe, y, experts(p, expertsMinor)).output();
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

  /** Whether {@code path} is one of Grok-1's expert matrices ({@code .../moe/linear|linear_v|linear_1/w}, rank 3). */
  public static boolean isExpertMatrix(String path) {
    return EXPERT_MATRIX.matcher(path).matches();
  }

  /** {@code types} with every rank-3 expert matrix {@code [E, in, out]} as {@code [E, out, in]}. */
  public static Tree<TensorType> contractionMinorTypes(Tree<TensorType> types) {
    return types.mapWithPath((path, t) -> isExpertMatrix(path) && t.rank() == 3
        ? new TensorType(t.dtype(), Shape.of(t.dim(0), t.dim(2), t.dim(1))) : t);
  }

  private static final Pattern EXPERT_MATRIX = Pattern.compile("(^|.*/)moe/(linear|linear_v|linear_1)/w");

  private static MoeWeights experts(Tree<Tensor> p, boolean minor) {
    Tensor router = p.get("router/w");
    if (!minor) {
      return new MoeWeights(router, Grok1.weight(p, "moe/linear"), Grok1.weight(p, "moe/linear_v"),
          Grok1.weight(p, "moe/linear_1"));
    }
    if (p.contains("moe/linear/scales")) {
      // Weight.Int8 checks its scales against [E, in, out] values: transpose those back here (the dequantize copies)
      java.util.function.Function<String, Weight> back = m -> Weight.int8(p.get(m + "/w").transpose(0, 2, 1),
          p.get(m + "/scales"));
      return new MoeWeights(router, back.apply("moe/linear"), back.apply("moe/linear_v"), back.apply("moe/linear_1"));
    }
    return MoeWeights.contractionMinor(router, Weight.of(p.get("moe/linear/w")), Weight.of(p.get("moe/linear_v/w")),
        Weight.of(p.get("moe/linear_1/w")));
  }

  private static Tensor norm(Grok1Config c, Tensor x, Tree<Tensor> p, String name) {
    return Norms.rmsNorm(x, p.get(name + "/scale"), c.rmsEps());
  }
}
