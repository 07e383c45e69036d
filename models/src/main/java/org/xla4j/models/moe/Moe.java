package org.xla4j.models.moe;

import java.util.Locale;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Tensor;
import org.xla4j.dsl.TopK;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.OpException;
import org.xla4j.models.quant.Weight;
import org.xla4j.types.DType;

/**
 * The Mixture-of-Experts entry point: validates {@link MoeOptions} against the tensors once, routes, and
 * dispatches to one implementation of a sealed set ({@link MoeImplementation}); DENSE is the composed
 * reference the others are tested against.
 *
 * <p>Router (Grok-1): {@code probs = softmax(f32(x) · router)} over the E experts, f32; the top-k experts
 * per token, best first; gates = their probabilities (or renormalized, {@link RouterKind}). Expert:
 * {@code (act(x·W) ⊙ (x·V))·W1} with every matmul result in x's dtype; combination
 * {@code Σ_k bf16(gate_k) · y_k} in f32 (the gates' rounding: {@link MoeOptions#gateDtype}); result in x's dtype.
 *
 * <pre>{@code
 * MoeWeights w = new MoeWeights(router, Weight.of(linear), Weight.of(linearV), Weight.of(linear1));
 * MoeResult r = Moe.apply(MoeOptions.builder().topK(2).build(), x, w);   // x [B, T, D] bf16
 * Tensor y = r.output();                                                // [B, T, D] bf16
 * }</pre>
 */
public final class Moe {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private Moe() {}

  /** The layer on {@code x [..., D]}: output of x's shape and dtype, aux loss, dropped count, routing. */
  public static MoeResult apply(MoeOptions options, Tensor x, MoeWeights w) {
    MoeProblem validated = validate(options, x, w);
    // CAPACITY_CHECKED takes contraction-minor weights into its branches (see MoeWeights); the rest here
    MoeProblem p = validated.options().implementation() == MoeImplementation.CAPACITY_CHECKED
        && !Autodiff.isDifferentiating() ? validated : validated.withWeights(w.inOut());
    MoeImpl impl = switch (p.options().implementation()) {
      case AUTO -> throw new IllegalStateException("moe: AUTO is resolved in validate");
      case DENSE -> new DenseMoe();
      case DROPLESS -> new DroplessMoe();
      case CAPACITY -> new CapacityMoe();
      case CAPACITY_CHECKED -> new CapacityCheckedMoe();
      case FEW_TOKENS -> new FewTokensMoe();
    };
    // under differentiation the implementations other than DENSE bring their own backward (MoeGrad)
    MoeImpl.Out out = x.graph().scope("moe_" + p.options().implementation().name().toLowerCase(Locale.ROOT),
        () -> MoeGrad.applies(p) ? MoeGrad.compute(impl, p) : impl.compute(p));
    Tensor aux = auxLoss(p);
    return new MoeResult(out.output().reshape(x.shape()), aux, out.dropped(), p.experts(), p.gates(), out.fallback(),
        out.rung());
  }

  /**
   * Runs {@code body} with the MoE implementations differentiated through their forward ops rather than their
   * custom backward: the same gradients, with the forward's intermediates kept (to compare the two, or to measure
   * the memory the custom backward saves).
   *
   * <pre>{@code
   * Tree<Tensor> g = Moe.withForwardAutodiff(() -> Autodiff.grad(loss).apply(params));
   * }</pre>
   */
  public static <T> T withForwardAutodiff(java.util.function.Supplier<T> body) {
    return ScopedValue.where(MoeGrad.FORWARD_AUTODIFF, true).call(body::get);
  }

  /**
   * Router probabilities {@code [N, E]} (f32) of tokens {@code x [N, D]}, the dot at HIGHEST whatever the experts'
   * precision: at DEFAULT a GPU computes an f32 dot in TF32 (10-bit mantissa), which flips the top-2 choice of
   * tokens whose best experts nearly tie, and a flipped expert changes the token's output wholly (JAX's Grok-1
   * scripts route at HIGHEST too). The dot is [N, D] x [D, E], a negligible part of the layer.
   */
  static Tensor probabilities(Tensor x, Tensor router) {
    return x.astype(DType.F32).matmul(router.astype(DType.F32), null, org.xla4j.ir.Precision.HIGHEST).softmax(-1);
  }

  /** E · Σ_e (copies routed to e / (N·K)) · mean_n probs[n, e]. */
  private static Tensor auxLoss(MoeProblem p) {
    Tensor probs = p.probs();
    Tensor fraction = p.experts().oneHot((int) p.numExperts(), DType.F32).sum(0, 1).div((double) (p.tokens() * p.topK()));
    return fraction.mul(probs.mean(0)).sum().mul((double) p.numExperts());
  }

  private static MoeProblem validate(MoeOptions options, Tensor x, MoeWeights w) {
    MoeOptions o = options;
    if (x == null || w == null || w.router() == null || w.linear() == null || w.linearV() == null
        || w.linear1() == null) {
      throw error("requires x and all four weights (router, linear, linear_v, linear_1), got a null");
    }
    if (x.rank() < 2 || !x.dtype().isFloat()) throw error("requires float x [..., D] of rank >= 2, got " + x.type());
    long d = x.dim(-1);
    Tensor r = w.router();
    if (r.rank() != 2 || r.dim(0) != d || !r.dtype().isFloat()) {
      throw error("requires a float router [D, E] with D = " + d + " for x " + x.type() + ", got " + r.type());
    }
    long e = r.dim(1);
    boolean minor = w.contractionMinor();
    long f = w.linear().stored().rank() == 3 ? w.hidden() : -1;
    check("linear", w.linear(), minor, e, d, f);
    check("linear_v", w.linearV(), minor, e, d, f);
    check("linear_1", w.linear1(), minor, e, f, d);
    int k = o.topK();
    if (k < 1 || k > e) throw error("requires 1 <= topK <= experts (" + e + "), got topK " + k);
    long n = x.size() / d;
    if (o.implementation() == MoeImplementation.AUTO) o = MoeAutoTable.resolve(o, n, d, f, e);
    boolean capacity = o.implementation() == MoeImplementation.CAPACITY
        || o.implementation() == MoeImplementation.CAPACITY_CHECKED;
    if (capacity && !(o.capacityFactor() > 0 && Double.isFinite(o.capacityFactor()))) {
      throw error(o.implementation() + " requires a finite capacityFactor > 0, got " + o.capacityFactor());
    }
    double previous = 0;
    for (double rung : o.capacityRungs()) {
      if (!(rung > previous && Double.isFinite(rung))) {
        throw error("requires capacityRungs finite, > 0 and increasing, got " + o.capacityRungs());
      }
      previous = rung;
    }
    if (o.tileSize() < 0) throw error("requires tileSize >= 0 (0 = automatic), got " + o.tileSize());
    Tensor x2 = x.reshape(n, d);
    Tensor probs = probabilities(x2, r);
    TopK top = probs.topK(k);
    Tensor gates = switch (o.router()) {
      case GROK -> top.values();
      case RENORMALIZED -> top.values().div(top.values().sum(-1, true));
    };
    return new MoeProblem(o, x2, probs, top.indices(), gates, w, n, d, f, e, k);
  }

  private static void check(String name, Weight w, boolean minor, long e, long in, long out) {
    Tensor t = w.stored();
    int inAxis = minor ? 2 : 1;
    int outAxis = minor ? 1 : 2;
    if (t.rank() != 3 || t.dim(0) != e || t.dim(inAxis) != in || (out >= 0 && t.dim(outAxis) != out)) {
      String o = out >= 0 ? String.valueOf(out) : "F";
      throw error("requires experts' " + name + " of shape " + (minor ? "[E, out, in] = [" + e + ", " + o + ", " + in
          : "[E, in, out] = [" + e + ", " + in + ", " + o) + "], got " + t.type());
    }
  }

  static OpException error(String detail) {
    return new OpException("moe", detail, CallSite.find(""));
  }
}
