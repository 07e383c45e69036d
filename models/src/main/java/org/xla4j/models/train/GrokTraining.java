package org.xla4j.models.train;

import java.util.Map;
import java.util.Objects;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.grok.Grok1;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.grok.WeightFormat;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Training a Grok-1-shaped model from its checkpoint weights, as {@code scripts/train_jax.py} does on the JAX
 * side. The dtype policy (with {@link Grok1.Options#activations()} bf16, the default) is mixed precision with an
 * f32 master copy:
 * <ul>
 *   <li>every parameter is held (and updated by {@link AdamW}) in f32, {@link #masterTypes};</li>
 *   <li>inside the loss each leaf is cast to its checkpoint dtype (bf16 matrices; the embeddings, norms and
 *       router stay f32), then {@link Grok1#forward} computes exactly as {@code xla4j logits} does (bf16
 *       residual stream and matmul results, f32 norms, softmaxes and RoPE, tanh soft-capped attention logits,
 *       Grok-1's router, the tied embedding as the output projection); gradients flow back through the casts
 *       into f32;</li>
 *   <li>the loss is the mean next-token cross entropy over valid targets, {@link #nextTokenLoss}: a row of
 *       S tokens gives the model its first S-1 and predicts tokens 1..S-1; a target that is the pad id 0 does
 *       not count.</li>
 * </ul>
 * With f32 activations ({@link Grok1.Options#withCompute}) nothing is cast: the f32 master weights are used as
 * they are and every activation is f32 (with HIGHEST dot precision: the same math as JAX's f32 model under
 * {@code jax.default_matmul_precision("highest")}, so the two agree to f32 rounding: the comparison that tells a
 * bug from bf16 rounding).
 * The MoE aux (load-balancing) loss is not part of the loss; {@link Grok1.Output#dropped()} (CAPACITY) is
 * reported as the metric {@code dropped}, and {@link Grok1.Output#moeRungs()} (which branch CAPACITY_CHECKED ran in
 * each layer) as {@code moe_rungs}.
 *
 * <pre>{@code
 * GrokTraining t = new GrokTraining(config, Grok1.Options.defaults());
 * TrainStep step = TrainStep.build(t.masterTypes(), t.batchTypes(8, 513), t::loss, new AdamW(...));
 * }</pre>
 *
 * @param config the model (bf16 weights; int8 checkpoints are not trained)
 * @param options how the forward is evaluated (MoE implementation, attention mechanism)
 */
public record GrokTraining(Grok1Config config, Grok1.Options options) {
  public GrokTraining {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(options, "options");
    if (config.weightFormat() != WeightFormat.BF16) {
      throw new IllegalArgumentException("GrokTraining: requires bf16 (float) weights, got " + config.weightFormat()
          + " (an int8 checkpoint is for inference; train from its bf16 original)");
    }
  }

  /** The path of the token batch in {@link #batchTypes}. */
  public static final String TOKENS = "tokens";

  /** Every parameter of the config, as f32 (the master copy the optimizer updates). */
  public Tree<TensorType> masterTypes() {
    return config.parameterTypes().map(t -> TensorType.of(DType.F32, t.shape().dims()));
  }

  /** {@code tokens}: i32 {@code [batch, seq]}; the model sees {@code seq - 1} tokens per row. */
  public Tree<TensorType> batchTypes(int batch, int seq) {
    if (batch < 1 || seq < 2) {
      throw new IllegalArgumentException("GrokTraining: requires batch >= 1 and seq >= 2 (inputs and next-token "
          + "targets), got batch " + batch + " and seq " + seq);
    }
    if (seq - 1 > config.contextLength()) {
      throw new IllegalArgumentException("GrokTraining: seq " + seq + " gives the model " + (seq - 1) + " tokens per "
          + "row, more than its context length " + config.contextLength());
    }
    return Tree.of(Map.of(TOKENS, TensorType.of(DType.I32, batch, seq)));
  }

  /**
   * The loss and its metrics: {@code dropped} (token copies dropped for capacity, all layers) and {@code moe_rungs}
   * (i32 {@code [layers]}: the rung of CAPACITY_CHECKED's ladder each layer ran, the number of its rungs for
   * DROPLESS, -1 for the other implementations).
   */
  public TrainStep.LossOut lossWithMetrics(Tree<Tensor> master, Tree<Tensor> batch) {
    Tree<TensorType> types = config.parameterTypes();
    // bf16 activations: the checkpoint's dtypes (bf16 matrices); f32 activations: the f32 master copy as it is
    boolean f32 = options.activations() == DType.F32;
    Tree<Tensor> params = master.mapWithPath((path, p) -> f32 ? p : p.astype(types.get(path).dtype()));
    Tensor tokens = batch.get(TOKENS);
    long s = tokens.dim(1);
    Grok1.Output out = Grok1.forward(config, params, tokens.slice(1, 0, s - 1), options);
    Tensor loss = nextTokenLoss(out.logits(), tokens.slice(1, 1, s));
    return new TrainStep.LossOut(loss, Tree.of(Map.of("dropped", out.dropped(), "moe_rungs", out.moeRungs())));
  }

  /** The loss alone (see {@link #lossWithMetrics}). */
  public Tensor loss(Tree<Tensor> master, Tree<Tensor> batch) {
    return lossWithMetrics(master, batch).loss();
  }

  /**
   * {@code sum(nll · valid) / max(sum(valid), 1)} in f32, where {@code nll = logsumexp(z) - z[target]} per
   * position and {@code valid = target != 0}.
   *
   * @param logits {@code [B, T, V]} (any float dtype; computed in f32)
   * @param targets integer {@code [B, T]}
   */
  public static Tensor nextTokenLoss(Tensor logits, Tensor targets) {
    if (logits.rank() != 3 || targets.rank() != 2 || logits.dim(0) != targets.dim(0) || logits.dim(1) != targets.dim(1)
        || !targets.dtype().isInteger()) {
      throw new IllegalArgumentException("nextTokenLoss: requires logits [B, T, V] and integer targets [B, T], got "
          + logits.type() + " and " + targets.type());
    }
    Tensor z = logits.astype(DType.F32);
    // the log-sum-exp does not depend on the shift, so the max carries no gradient (as jax.nn.logsumexp)
    Tensor m = org.xla4j.autodiff.Autodiff.stopGradient(z.max(2, true));
    Tensor lse = z.sub(m).exp().sum(2).log().add(m.reshape(z.dim(0), z.dim(1)));
    Tensor target = z.mul(targets.oneHot((int) z.dim(2), DType.F32)).sum(2);
    Tensor valid = targets.ne(0L).astype(DType.F32);
    return lse.sub(target).mul(valid).sum().div(valid.sum().maximum(1.0));
  }
}
