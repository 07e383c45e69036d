package org.xla4j.models.grok;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.OpException;
import org.xla4j.ir.Precision;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionInputs;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.moe.Moe;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.moe.MoeResult;
import org.xla4j.models.moe.MoeWeights;
import org.xla4j.models.nn.ModelChecks;
import org.xla4j.models.nn.Norms;
import org.xla4j.models.nn.Rope;
import org.xla4j.models.quant.Linear;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.models.quant.Weight;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Grok-1's forward pass (xai-org/grok-1 {@code model.py}), from tokens to f32 logits.
 *
 * <ol>
 *   <li>Embeddings (f32 table) looked up, cast to bf16, times the embedding multiplier (a bf16 constant, as
 *       JAX's weak-typed scalar). Pad id 0: keys of pad tokens are hidden, and attention is causal.</li>
 *   <li>Per layer, residual stream in bf16: {@code h += N1(MHA(N0(h)))}; {@code h += N3(MoE(N2(h)))}, with
 *       RMSNorm {@code x·rsqrt(mean(x²)+eps)·scale} in f32.</li>
 *   <li>MHA: bias-free projections, grouped-query heads, NeoX RoPE (rotate_half, f32) at positions
 *       {@code 0..T-1}, logits {@code q·k} in bf16 then f32 times the attention multiplier, soft-capped,
 *       masked, f32 softmax cast to bf16, times v; output projection.</li>
 *   <li>MoE: {@link Moe} with Grok-1's router (softmax, top-k, gates not renormalized).</li>
 *   <li>Final RMSNorm; logits {@code h·Eᵀ} with the tied table in bf16, times the output multiplier (a bf16
 *       constant); returned as f32.</li>
 * </ol>
 *
 * <p>One difference from model.py, on padding only: a query with no visible key at all (a pad token before
 * the first real token of its row) gets a zero attention output here, where model.py's softmax over all
 * {@code -1e30} logits averages every value uniformly. Rows with at least one visible key are identical.
 *
 * <pre>{@code
 * Graph g = new Graph("grok");
 * Tree<Tensor> params = g.parameters(config.parameterTypes());
 * Tensor tokens = g.parameter(DType.I32, batch, seq);
 * Grok1.Output out = Grok1.forward(config, params, tokens, Grok1.Options.defaults());
 * HloModule m = g.build(out.logits());                      // f32 [batch, seq, vocab]
 * }</pre>
 */
public final class Grok1 {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private Grok1() {}

  /**
   * How to evaluate the model (not what it is).
   *
   * @param moe the MoE implementation and router options (topK 0: the config's numSelectedExperts)
   * @param attention the attention mechanism (VANILLA, BLOCKWISE or CUDNN; DECODE needs a cache)
   * @param quant where INT8 weights' scales apply in the attention projections (the MoE reads its own)
   * @param activations the residual stream's and the matmul results' type: bf16 as Grok-1, or f32 (then give f32
   *     parameters: the matrices are cast to the activations' type, and the MoE's gates are not rounded)
   * @param precision every dot's precision (the MoE's router and experts, projections, attention, logits):
   *     DEFAULT, or HIGHEST for full f32 products where a GPU would use TF32 for f32 operands
   */
  public record Options(MoeOptions moe, Mechanism attention, QuantMode quant, DType activations, Precision precision) {
    public Options {
      Objects.requireNonNull(moe, "moe");
      Objects.requireNonNull(attention, "attention");
      Objects.requireNonNull(quant, "quant");
      Objects.requireNonNull(activations, "activations");
      Objects.requireNonNull(precision, "precision");
      if (activations != DType.BF16 && activations != DType.F32) {
        throw new IllegalArgumentException("grok1: activations must be bf16 or f32, got " + activations);
      }
    }

    /** Grok-1's bf16 activations, default dot precision. */
    public Options(MoeOptions moe, Mechanism attention, QuantMode quant) {
      this(moe, attention, quant, DType.BF16, Precision.DEFAULT);
    }

    /** DENSE MoE, VANILLA attention, dequantize-first, bf16 activations. */
    public static Options defaults() {
      return new Options(MoeOptions.defaults(), Mechanism.VANILLA, QuantMode.DEQUANTIZE);
    }

    public Options withMoe(MoeOptions m) { return new Options(m, attention, quant, activations, precision); }

    public Options withAttention(Mechanism m) { return new Options(moe, m, quant, activations, precision); }

    public Options withQuant(QuantMode q) { return new Options(moe, attention, q, activations, precision); }

    /**
     * These options computing in {@code dtype} (bf16 or f32) with dots at {@code p}: f32 with HIGHEST is the same
     * math as an f32 JAX model under {@code jax.default_matmul_precision("highest")}, to f32 rounding.
     */
    public Options withCompute(DType dtype, Precision p) { return new Options(moe, attention, quant, dtype, p); }
  }

  /**
   * @param logits f32 {@code [B, T, vocab]}
   * @param auxLoss the MoE load-balancing losses summed over layers (f32 scalar)
   * @param dropped token copies dropped for capacity, summed over layers (i32 scalar)
   * @param moeRungs each layer's {@link MoeResult#rung} (i32 {@code [layers]}): the branch CAPACITY_CHECKED ran, -1
   *     for the other MoE implementations
   */
  public record Output(Tensor logits, Tensor auxLoss, Tensor dropped, Tensor moeRungs) {}

  /** Adds the parameters (flatten order) and then {@code tokens i32 [batch, seq]} to {@code g}, and runs. */
  public static Output build(Graph g, Grok1Config c, long batch, long seq, Options o) {
    Tree<Tensor> params = g.parameters(c.parameterTypes());
    Tensor tokens = g.parameter(DType.I32, batch, seq);
    return forward(c, params, tokens, o);
  }

  /** Logits of {@code tokens [B, T]} (integer ids, 0 = pad) under {@code params} ({@link Grok1Config#parameterTypes()}). */
  public static Output forward(Grok1Config c, Tree<Tensor> params, Tensor tokens, Options o) {
    check(c, params, tokens, o);
    Graph g = tokens.graph();
    Tensor ids = tokens.astype(DType.I32);
    Tensor table = params.get("language_model/in_out_embed/embeddings");
    Tensor h = table.take(ids, 0).astype(o.activations()).mul(c.embeddingMultiplier());
    Tensor mask = ids.ne(0L);
    MoeOptions.Builder mb = o.moe().toBuilder().precision(o.precision()).gateDtype(o.activations());
    if (o.moe().topK() == 0) mb.topK(c.numSelectedExperts());
    MoeOptions moe = mb.build();
    Tensor aux = g.scalar(0.0, DType.F32);
    Tensor dropped = g.scalar(0L, DType.I32);
    List<Tensor> rungs = new ArrayList<>();
    for (int l = 0; l < c.numLayers(); l++) {
      Tree<Tensor> p = params.subtree("transformer/decoder_layer_" + l);
      Tensor hh = h;
      MoeResult[] r = new MoeResult[1];
      h = g.scope("decoder_layer_" + l, () -> {
        Tensor x = norm(c, hh, p, "rms_norm");
        Tensor a = g.scope("multi_head_attention", () -> attention(c, p.subtree("multi_head_attention"), x, mask, o));
        Tensor h1 = hh.add(norm(c, a, p, "rms_norm_1"));
        Tensor y = norm(c, h1, p, "rms_norm_2");
        r[0] = Moe.apply(moe, y, new MoeWeights(p.get("router/w"), weight(p, "moe/linear"), weight(p, "moe/linear_v"),
            weight(p, "moe/linear_1")));
        return h1.add(norm(c, r[0].output(), p, "rms_norm_3"));
      });
      aux = aux.add(r[0].auxLoss());
      dropped = dropped.add(r[0].dropped());
      rungs.add(r[0].rung());
    }
    h = Norms.rmsNorm(h, params.get("language_model/rms_norm/scale"), c.rmsEps());
    Tensor logits = Jnp.einsum("btd,vd->btv", null, o.precision(), h, table.astype(h.dtype())).mul(c.outputMultiplier());
    return new Output(logits.astype(DType.F32), aux, dropped, Jnp.stack(0, rungs));
  }

  /** Grok-1's MHA on {@code x [B, T, D]}: {@code [B, T, D]}. */
  static Tensor attention(Grok1Config c, Tree<Tensor> p, Tensor x, Tensor mask, Options o) {
    long b = x.dim(0);
    long t = x.dim(1);
    Tensor q = Linear.apply(x, weight(p, "query"), o.quant(), o.precision()).reshape(b, t, c.numQHeads(), c.keySize());
    Tensor k = Linear.apply(x, weight(p, "key"), o.quant(), o.precision()).reshape(b, t, c.numKvHeads(), c.keySize());
    Tensor v = Linear.apply(x, weight(p, "value"), o.quant(), o.precision()).reshape(b, t, c.numKvHeads(), c.keySize());
    Rope.Freqs f = Rope.precomputeFreqs(x.graph().arange(t, DType.I32), c.keySize(), c.ropeTheta());
    q = Rope.applyRotaryHalf(q, f);
    k = Rope.applyRotaryHalf(k, f);
    AttentionOptions ao = AttentionOptions.builder().mechanism(o.attention()).causal(true)
        .numHeads(c.numQHeads()).numKvHeads(c.numKvHeads())
        .softmaxScale(c.attnOutputMultiplier()).logitSoftCap(c.maxAttnValue()).precision(o.precision()).build();
    Tensor out = Attention.apply(ao, q, k, v, AttentionInputs.none().withMask(mask));
    return Linear.apply(out.reshape(b, t, (long) c.numQHeads() * c.keySize()), weight(p, "linear"), o.quant(),
        o.precision());
  }

  /** The matrix of {@code module} in {@code p}: {@code module/w}, with {@code module/scales} when int8. */
  static Weight weight(Tree<Tensor> p, String module) {
    Tensor w = p.get(module + "/w");
    return p.contains(module + "/scales") ? Weight.int8(w, p.get(module + "/scales")) : Weight.of(w);
  }

  private static Tensor norm(Grok1Config c, Tensor x, Tree<Tensor> p, String name) {
    return Norms.rmsNorm(x, p.get(name + "/scale"), c.rmsEps());
  }

  private static void check(Grok1Config c, Tree<Tensor> params, Tensor tokens, Options o) {
    Tree<TensorType> want = c.parameterTypes();
    if (o.activations() == DType.F32) { // f32 compute takes the checkpoint's bf16 leaves as f32
      want = want.map(t -> t.dtype() == DType.BF16 ? TensorType.of(DType.F32, t.shape().dims()) : t);
    }
    ModelChecks.parameters("grok1", want, params);
    ModelChecks.tokens("grok1", tokens);
    if (tokens.dim(1) > c.contextLength()) {
      throw error("requires at most contextLength " + c.contextLength() + " tokens per row, got " + tokens.shape());
    }
  }

  private static OpException error(String detail) {
    return ModelChecks.error("grok1", detail);
  }

}
