package org.xla4j.models.zeta;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionInputs;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.nn.Activations;
import org.xla4j.models.nn.Dropout;
import org.xla4j.models.nn.ModelChecks;
import org.xla4j.models.nn.Norms;
import org.xla4j.models.nn.Rope;
import org.xla4j.models.nn.XPos;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * kyegomez/zeta's {@code TransformerBlock} (PaLM's parallel block) over the DSL. With {@code x [B, S, dim]}:
 * <pre>
 *   h            = LayerNorm(x) · g                       (no bias; eps 1e-5, 1e-3 for half types, as zeta)
 *   q, k, v, ff  = split(h · W_fused)                      q [B,S,heads·dh], k and v [B,S,dh] (one kv head), ff [B,S,2F]
 *   q += s·(h·A_q)·B_q,  k += s·(h·A_k)·B_k,  v += s·(h·A_v)·B_v          (LoRA, s = alpha / rank)
 *   q, k         = l2norm(q)·q_scale, l2norm(k)·k_scale  (qkRmsNorm)
 *   q, k         = rotary (NeoX halves, theta 1e4) with xPos: q·zeta^((n - S/2)/base), k·zeta^(-(n - S/2)/base)
 *   o            = attention(q, k, v; causal, padding mask, scale = qkRmsNorm ? qkScale : dh^-1/2, attn dropout)
 *   y            = o·W_out + s·(o·A_o)·B_o  +  dropout(silu(ff[F:]) ⊙ ff[:F])·W_ff
 * </pre>
 * The block returns {@code y} without the residual, as zeta's does (its transformer adds {@code x} around
 * the block). Deviations from zeta's code, where that code does not do what its options say: the logit
 * scale is applied (zeta computes {@code self.scale} but never passes it to its attention), and a query
 * row whose keys are all masked gives zeros (zeta's softmax over -max floats averages them).
 *
 * <pre>{@code
 * ZetaBlockConfig c = ZetaBlockConfig.builder(256).heads(4).dimHead(64).lora(LoraConfig.of(8)).build();
 * Tree<Tensor> p = g.parameters(ZetaBlock.parameterTypes(c, DType.F32));
 * Tensor y = ZetaBlock.forward(c, p, x, padMask, ZetaBlock.Options.train(key));   // or Options.eval()
 * Tree<HostTensor> init = ZetaBlock.init(c, DType.F32, 0);                         // LoRA B = 0
 * }</pre>
 */
public final class ZetaBlock {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private ZetaBlock() {}

  /**
   * How a forward pass runs. In eval mode dropout is the identity; in train mode it draws from
   * {@code dropoutKey} (ui64[2], {@code Rng.key} or a program argument), so a step is reproducible.
   *
   * @param train apply the config's dropouts
   * @param dropoutKey the generator state, required in train mode when a dropout rate is positive
   * @param platform the platform the program will run on ({@code cpu}, {@code cuda}), or null when unknown;
   *     a flash mechanism that cannot run there is rejected at build time
   */
  public record Options(boolean train, Tensor dropoutKey, String platform) {
    /** Inference: no dropout. */
    public static Options eval() { return new Options(false, null, null); }

    /** Training with dropout drawn from {@code key}. */
    public static Options train(Tensor key) { return new Options(true, key, null); }

    /** The same options for a program that runs on {@code p}. */
    public Options onPlatform(String p) { return new Options(train, dropoutKey, p); }
  }

  // ---- parameters ----

  /**
   * The parameter types, a tree with zeta's module names as paths (dense weights are [in, out]):
   * <pre>
   *   norm/g                    [dim]
   *   fused_attn_ff_proj/w      [dim, heads·dh + 2·dh + 2·dim·ffMult]   (q | k | v | ff value half | ff gate half)
   *   attn_out/w                [heads·dh, dim]
   *   ff_out/w                  [dim·ffMult, dim]
   *   q_scale, k_scale          [dh]                                      (qkRmsNorm only)
   *   lora/{q,k,v,o}/A          [in, rank]                                (each LoRA target)
   *   lora/{q,k,v,o}/B          [rank, out]
   * </pre>
   */
  public static Tree<TensorType> parameterTypes(ZetaBlockConfig c, DType dt) {
    Tree.Builder<TensorType> b = Tree.builder();
    b.put("norm/g", TensorType.of(dt, c.dim()));
    b.put("fused_attn_ff_proj/w", TensorType.of(dt, c.dim(), c.fusedDim()));
    b.put("attn_out/w", TensorType.of(dt, c.attnInnerDim(), c.dim()));
    b.put("ff_out/w", TensorType.of(dt, c.ffInnerDim(), c.dim()));
    if (c.qkRmsNorm()) {
      b.put("q_scale", TensorType.of(dt, c.dimHead()));
      b.put("k_scale", TensorType.of(dt, c.dimHead()));
    }
    if (c.lora() != null) {
      for (LoraTarget t : LoraTarget.values()) {
        if (!c.lora().on(t)) continue;
        long[] io = loraInOut(c, t);
        b.put("lora/" + t.key() + "/A", TensorType.of(dt, io[0], c.lora().rank()));
        b.put("lora/" + t.key() + "/B", TensorType.of(dt, c.lora().rank(), io[1]));
      }
    }
    return b.build();
  }

  /** [in, out] features of the projection {@code t} adapts. */
  static long[] loraInOut(ZetaBlockConfig c, LoraTarget t) {
    return switch (t) {
      case Q -> new long[] {c.dim(), c.attnInnerDim()};
      case K, V -> new long[] {c.dim(), c.dimHead()};
      case O -> new long[] {c.attnInnerDim(), c.dim()};
    };
  }

  /**
   * Fixed-seed initial parameters: dense weights ~ U(-1/sqrt(in), 1/sqrt(in)) (torch's Linear), {@code norm/g},
   * {@code q_scale}, {@code k_scale} = 1, LoRA A ~ N(0, 1) and LoRA B = 0, so the adapters start with no effect.
   */
  public static Tree<HostTensor> init(ZetaBlockConfig c, DType dt, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    return parameterTypes(c, dt).mapWithPath((path, t) -> {
      double[] v = new double[Math.toIntExact(t.numElements())];
      if (path.equals("norm/g") || path.endsWith("_scale")) {
        Arrays.fill(v, 1);
      } else if (path.startsWith("lora/") && path.endsWith("/A")) {
        for (int i = 0; i < v.length; i++) v[i] = gaussian(r);
      } else if (!path.startsWith("lora/")) {
        double bound = 1 / Math.sqrt(t.shape().dim(0));
        for (int i = 0; i < v.length; i++) v[i] = bound * (2 * r.nextDouble() - 1);
      }
      return HostTensor.ofDoubles(dt, t.shape(), v);
    });
  }

  private static double gaussian(SplittableRandom r) {
    double u = 1 - r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  // ---- forward ----

  /** The block on {@code x [B, S, dim]} with no padding mask. */
  public static Tensor forward(ZetaBlockConfig c, Tree<Tensor> params, Tensor x, Options o) {
    return forward(c, params, x, null, o);
  }

  /**
   * The block on {@code x [B, S, dim]}; {@code mask} is null or a [B, S] key padding mask (bool or integer,
   * true / non-zero keeps). Returns [B, S, dim] in x's dtype, without the residual.
   */
  public static Tensor forward(ZetaBlockConfig c, Tree<Tensor> params, Tensor x, Tensor mask, Options o) {
    if (o == null) throw ModelChecks.error("ZetaBlock.forward", "requires Options (Options.eval() or Options.train(key))");
    if (x.rank() != 3 || x.dim(2) != c.dim() || !x.dtype().isFloat()) {
      throw ModelChecks.error("ZetaBlock.forward", "requires float x of shape [B, S, " + c.dim() + "], got " + x.type());
    }
    ModelChecks.parameters("ZetaBlock", parameterTypes(c, x.dtype()), params);
    long b = x.dim(0);
    long s = x.dim(1);
    if (mask != null && (!mask.shape().equals(Shape.of(b, s)) || mask.dtype().isFloat())) {
      throw ModelChecks.error("ZetaBlock.forward", "requires a bool or integer padding mask [" + b + ", " + s + "], got "
          + mask.type());
    }
    boolean dropping = o.train() && (c.attnDropout() > 0 || c.ffDropout() > 0);
    if (dropping && o.dropoutKey() == null) {
      throw ModelChecks.error("ZetaBlock.forward", "train mode with attnDropout " + c.attnDropout() + " / ffDropout "
          + c.ffDropout() + " requires a dropout key (Options.train(Rng.key(g, seed)))");
    }
    return x.graph().scope("zeta_block", () -> compute(c, params, x, mask, o, dropping));
  }

  private static Tensor compute(ZetaBlockConfig c, Tree<Tensor> p, Tensor x, Tensor mask, Options o, boolean dropping) {
    Graph g = x.graph();
    long b = x.dim(0);
    long s = x.dim(1);
    int dh = c.dimHead();
    int inner = c.attnInnerDim();
    int f = c.ffInnerDim();
    boolean half = x.dtype() != DType.F32 && x.dtype() != DType.F64;
    Tensor h = Norms.layerNorm(x, p.get("norm/g"), null, half ? 1e-3 : 1e-5);

    Tensor fused = h.matmul(p.get("fused_attn_ff_proj/w"));
    Tensor q = fused.slice(2, 0, inner);
    Tensor k = fused.slice(2, inner, inner + dh);
    Tensor v = fused.slice(2, inner + dh, inner + 2L * dh);
    Tensor ff = fused.slice(2, inner + 2L * dh, c.fusedDim());
    q = lora(c, p, LoraTarget.Q, h, q);
    k = lora(c, p, LoraTarget.K, h, k);
    v = lora(c, p, LoraTarget.V, h, v);

    q = q.reshape(b, s, c.heads(), dh);
    k = k.reshape(b, s, 1, dh);
    v = v.reshape(b, s, 1, dh);
    if (c.qkRmsNorm()) {
      // F.normalize's eps
      q = Norms.l2Normalize(q, 1e-12).mul(p.get("q_scale"));
      k = Norms.l2Normalize(k, 1e-12).mul(p.get("k_scale"));
    }
    Rope.Freqs freqs = Rope.precomputeFreqs(g, dh, (int) s, 10000);
    Rope.Freqs qf = freqs;
    Rope.Freqs kf = freqs;
    if (c.xpos()) {
      // zeta centers positions on S/2 for range; q·k depends on n - m only either way
      Tensor centered = g.arange(s, DType.I32).sub(s / 2);
      Tensor up = XPos.scale(centered, dh, c.xposScaleBase());
      Tensor down = up.rdiv(1.0);
      qf = new Rope.Freqs(freqs.cos().mul(up), freqs.sin().mul(up));
      kf = new Rope.Freqs(freqs.cos().mul(down), freqs.sin().mul(down));
    }
    q = Rope.applyRotaryHalf(q, qf);
    k = Rope.applyRotaryHalf(k, kf);

    Tensor key = o.dropoutKey();
    Tensor ffh = Activations.silu(ff.slice(2, f, 2L * f)).mul(ff.slice(2, 0, f));
    if (dropping && c.ffDropout() > 0) {
      Dropout.Result d = Dropout.apply(ffh, c.ffDropout(), key);
      ffh = d.value();
      key = d.state();
    }

    Mechanism m = c.mechanism();
    AttentionOptions ao = AttentionOptions.builder().mechanism(m).causal(c.causal()).softmaxScale(c.logitScale())
        .dropout(c.attnDropout()).deterministic(!o.train()).chunks(c.flashChunk(), c.flashChunk())
        .platform(o.platform()).build();
    AttentionInputs in = AttentionInputs.none();
    if (mask != null) {
      // cuDNN takes padding as an additive bias, not a bool mask
      in = in.withMask(m == Mechanism.CUDNN
          ? Jnp.where(mask.dtype().isBool() ? mask : mask.ne(0L), 0.0, g.full(TensorType.of(x.dtype(), b, s), -1e9))
          : mask);
    }
    if (dropping && c.attnDropout() > 0) in = in.withDropoutKey(key);
    Tensor out = Attention.apply(ao, q, k, v, in).reshape(b, s, inner);
    Tensor attnOut = lora(c, p, LoraTarget.O, out, out.matmul(p.get("attn_out/w")));
    return attnOut.add(ffh.matmul(p.get("ff_out/w")));
  }

  /** {@code base + (alpha / rank)·(in·A)·B} when {@code t} has an adapter, else {@code base}. */
  private static Tensor lora(ZetaBlockConfig c, Tree<Tensor> p, LoraTarget t, Tensor in, Tensor base) {
    if (c.lora() == null || !c.lora().on(t)) return base;
    Tensor a = p.get("lora/" + t.key() + "/A");
    Tensor bw = p.get("lora/" + t.key() + "/B");
    return base.add(in.matmul(a).matmul(bw).mul(c.lora().scale()));
  }
}
