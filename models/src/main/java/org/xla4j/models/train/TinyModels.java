package org.xla4j.models.train;

import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import org.xla4j.dsl.Tensor;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.grok.Grok1;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.grok.Grok1RandomWeights;
import org.xla4j.models.llama.Llama;
import org.xla4j.models.llama.LlamaConfig;
import org.xla4j.runtime.HostTensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Small models to train on the CPU, each with random initial weights from a seed, one fixed batch to
 * memorize (so the loss must fall towards zero) and its loss: {@code tiny-mlp} (a two-layer classifier),
 * {@code tiny-llama} and {@code tiny-grok} (next-token cross entropy of the models' forward passes).
 *
 * <pre>{@code
 * TinyModels.Model m = TinyModels.get("tiny-llama", 4, 16, 0);
 * TrainStep step = TrainStep.build(m.paramTypes(), m.batchTypes(), m.loss(), new AdamW(...));
 * }</pre>
 */
public final class TinyModels {
  private TinyModels() {}

  public static final java.util.List<String> NAMES = java.util.List.of("tiny-mlp", "tiny-llama", "tiny-grok");

  /** A model to train: its parameters, initial values, batch and scalar loss. */
  public record Model(String name, Tree<TensorType> paramTypes, Tree<HostTensor> init, Tree<TensorType> batchTypes,
      Tree<HostTensor> batch, BiFunction<Tree<Tensor>, Tree<Tensor>, Tensor> loss, int vocabSize) {}

  /** The model {@code name} with a batch of {@code batch} sequences of {@code seq} tokens (mlp: examples). */
  public static Model get(String name, int batch, int seq, long seed) {
    if (batch < 1 || seq < 2) {
      throw new IllegalArgumentException("train: requires batch >= 1 and seq >= 2, got " + batch + " and " + seq);
    }
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "tiny-mlp" -> mlp(batch * seq, seed);
      case "tiny-llama" -> llama(batch, seq, seed);
      case "tiny-grok" -> grok(batch, seq, seed);
      default -> throw new IllegalArgumentException("train: unknown model '" + name + "', known: " + NAMES);
    };
  }

  private static Model mlp(int n, long seed) {
    int din = 8, hid = 32, classes = 4;
    Random r = new Random(seed);
    Tree<TensorType> pt = Tree.of(Map.of("l1/w", TensorType.of(DType.F32, din, hid), "l1/b", TensorType.of(DType.F32, hid),
        "l2/w", TensorType.of(DType.F32, hid, classes), "l2/b", TensorType.of(DType.F32, classes)));
    int[] y = new int[n];
    for (int i = 0; i < n; i++) y[i] = r.nextInt(classes);
    Tree<HostTensor> batch = Tree.of(Map.of("x", randn(r, TensorType.of(DType.F32, n, din), 1), "y",
        HostTensor.ofInts(y, n)));
    Tree<TensorType> bt = Tree.of(Map.of("x", TensorType.of(DType.F32, n, din), "y", TensorType.of(DType.I32, n)));
    return new Model("tiny-mlp", pt, init(pt, r), bt, batch, (p, b) -> {
      Tensor h = b.get("x").matmul(p.get("l1/w")).add(p.get("l1/b")).tanh();
      return crossEntropy(h.matmul(p.get("l2/w")).add(p.get("l2/b")), b.get("y"));
    }, classes);
  }

  private static Model llama(int batch, int seq, long seed) {
    LlamaConfig c = LlamaConfig.tiny();
    Random r = new Random(seed);
    Tree<TensorType> pt = c.parameterTypes();
    return lm("tiny-llama", pt, init(pt, r), batch, seq, c.vocabSize(), r,
        (p, tokens) -> Llama.forward(c, p, tokens, null, new Llama.Options(Mechanism.VANILLA)));
  }

  private static Model grok(int batch, int seq, long seed) {
    Grok1Config c = Grok1Config.tiny();
    Tree<TensorType> pt = c.parameterTypes();
    Tree<HostTensor> init = Tree.of(Grok1RandomWeights.generate(c, seed));
    return lm("tiny-grok", pt, init, batch, seq, c.vocabSize(), new Random(seed),
        (p, tokens) -> Grok1.forward(c, p, tokens, Grok1.Options.defaults()).logits());
  }

  /** Next-token cross entropy of {@code logits(params, tokens[:, :-1])} against {@code tokens[:, 1:]}. */
  private static Model lm(String name, Tree<TensorType> pt, Tree<HostTensor> init, int batch, int seq, int vocab,
      Random r, BiFunction<Tree<Tensor>, Tensor, Tensor> logits) {
    int[] tok = new int[batch * seq];
    for (int i = 0; i < tok.length; i++) tok[i] = r.nextInt(vocab);
    Tree<TensorType> bt = Tree.of(Map.of("tokens", TensorType.of(DType.I32, batch, seq)));
    Tree<HostTensor> b = Tree.of(Map.of("tokens", HostTensor.ofInts(tok, batch, seq)));
    return new Model(name, pt, init, bt, b, (p, in) -> {
      Tensor t = in.get("tokens");
      Tensor z = logits.apply(p, t.slice(1, 0, seq - 1)); // [B, T-1, V]
      return crossEntropy(z.reshape((long) batch * (seq - 1), vocab), t.slice(1, 1, seq).reshape((long) batch * (seq - 1)));
    }, vocab);
  }

  /** Mean over rows of {@code logsumexp(z) - z[label]}, in f32. */
  static Tensor crossEntropy(Tensor logits, Tensor labels) {
    Tensor z = logits.astype(DType.F32);
    Tensor m = org.xla4j.autodiff.Autodiff.stopGradient(z.max(1, true));
    Tensor lse = z.sub(m).exp().sum(1).log().add(m.sum(1));
    int classes = (int) z.type().shape().dims()[1];
    return lse.sub(z.mul(labels.oneHot(classes, DType.F32)).sum(1)).mean();
  }

  /** Matrices ~ N(0, 1/min(dims)), norm scales 1, biases 0: trainable from the first step. */
  private static Tree<HostTensor> init(Tree<TensorType> types, Random r) {
    return types.mapWithPath((path, t) -> {
      long[] d = t.shape().dims();
      // the smaller dimension is the fan-in in both layouts used here ([in, out] and torch's [out, in])
      if (d.length >= 2) return randn(r, t, 1 / Math.sqrt(Math.min(d[0], d[d.length - 1])));
      float[] f = new float[(int) t.numElements()];
      if (path.contains("norm") || path.endsWith("scale")) java.util.Arrays.fill(f, 1f);
      return HostTensor.of(t.dtype(), t.shape(), f);
    });
  }

  private static HostTensor randn(Random r, TensorType t, double scale) {
    float[] f = new float[(int) t.numElements()];
    for (int i = 0; i < f.length; i++) f[i] = (float) (scale * r.nextGaussian());
    return HostTensor.of(t.dtype(), t.shape(), f);
  }
}
