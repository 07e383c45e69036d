package org.xla4j.models.train;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * AdamW (decoupled weight decay, as optax's {@code adamw}) with gradient clipping by global norm (optax's
 * {@code clip_by_global_norm} chained before it), over parameter trees, as graph ops: the state is a tree
 * {@code m/<path>}, {@code v/<path>} (f32, the parameters' shapes) and {@code count} (an f32 scalar), so a
 * training step takes and returns it as arguments.
 *
 * <pre>{@code
 * AdamW opt = new AdamW(1e-3, 0.9, 0.999, 1e-8, 0.01, 1.0);
 * Tree<Tensor> state = g.parameters(opt.stateTypes(paramTypes));
 * AdamW.Update u = opt.update(params, grads, state);   // u.params(), u.state()
 * }</pre>
 *
 * @param clipNorm maximum global gradient norm; {@code <= 0} or infinite: no clipping
 */
public record AdamW(double lr, double beta1, double beta2, double eps, double weightDecay, double clipNorm) {
  public AdamW {
    if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps >= 0) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException("AdamW: requires lr > 0, betas in [0, 1), eps >= 0 and weightDecay >= 0, got lr="
          + lr + " betas=(" + beta1 + ", " + beta2 + ") eps=" + eps + " weightDecay=" + weightDecay);
    }
  }

  /** The new parameters and optimizer state of one step. */
  public record Update(Tree<Tensor> params, Tree<Tensor> state) {}

  /** The state's types for parameters of {@code types}: zeros to start with ({@link #init}). */
  public Tree<TensorType> stateTypes(Tree<TensorType> types) {
    Tree<TensorType> f32 = types.map(t -> TensorType.of(DType.F32, t.shape().dims()));
    return Tree.<TensorType>builder().putAll("m", f32).putAll("v", f32).put("count", TensorType.scalar(DType.F32))
        .build();
  }

  /** A zero state in the graph, for parameters like {@code params}. */
  public Tree<Tensor> init(Tree<Tensor> params) {
    Graph g = params.leaves().get(0).graph();
    Tree<Tensor> z = params.map(p -> g.zeros(DType.F32, p.type().shape().dims()));
    return Tree.<Tensor>builder().putAll("m", z).putAll("v", z).put("count", g.zeros(DType.F32)).build();
  }

  /** One step: clip the gradients by their global norm, update the moments, decay and step the parameters. */
  public Update update(Tree<Tensor> params, Tree<Tensor> grads, Tree<Tensor> state) {
    grads.requireSameStructure(params, "AdamW.update: gradients vs parameters");
    Graph g = params.leaves().get(0).graph();
    Tree<Tensor> gf = grads.map(x -> x.astype(DType.F32));
    if (clipNorm > 0 && Double.isFinite(clipNorm)) {
      Tensor norm = globalNorm(gf);
      // optax: g * (maxNorm / max(norm, maxNorm)), i.e. unchanged below the threshold
      Tensor scale = norm.maximum(clipNorm).rdiv(clipNorm);
      gf = gf.map(x -> x.mul(scale));
    }
    Tensor count = state.get("count").add(1.0);
    Tensor c1 = g.scalar(1.0, DType.F32).sub(count.mul(Math.log(beta1)).exp()); // 1 - beta1^t
    Tensor c2 = g.scalar(1.0, DType.F32).sub(count.mul(Math.log(beta2)).exp());
    List<String> paths = params.paths();
    List<Tensor> np = new ArrayList<>();
    List<Tensor> nm = new ArrayList<>();
    List<Tensor> nv = new ArrayList<>();
    for (String p : paths) {
      Tensor gr = gf.get(p);
      Tensor m = state.get("m/" + p).mul(beta1).add(gr.mul(1 - beta1));
      Tensor v = state.get("v/" + p).mul(beta2).add(gr.square().mul(1 - beta2));
      Tensor step = m.div(c1).div(v.div(c2).sqrt().add(eps));
      Tensor w = params.get(p);
      Tensor wf = w.astype(DType.F32);
      if (weightDecay > 0) step = step.add(wf.mul(weightDecay));
      np.add(wf.sub(step.mul(lr)).astype(w.dtype()));
      nm.add(m);
      nv.add(v);
    }
    Tree<Tensor> st = Tree.<Tensor>builder().putAll("m", Tree.unflatten(paths, nm)).putAll("v", Tree.unflatten(paths, nv))
        .put("count", count).build();
    return new Update(Tree.unflatten(paths, np), st);
  }

  /** sqrt of the sum of every leaf's squares, in f32. */
  public static Tensor globalNorm(Tree<Tensor> grads) {
    Tensor s = null;
    for (Tensor x : grads.leaves()) {
      Tensor q = x.astype(DType.F32).square().sum();
      s = s == null ? q : s.add(q);
    }
    if (s == null) throw new IllegalArgumentException("AdamW.globalNorm: requires at least one gradient, got none");
    return s.sqrt();
  }
}
