package org.xla4j.models.train;

import java.util.Map;
import org.xla4j.autodiff.Autodiff;
import org.xla4j.dsl.Tensor;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;

/**
 * BPT's blockwise LM head and cross entropy: the vocabulary projection and its log-sum-exp in vocabulary
 * chunks with a running max and sum, so the [B, T, V] f32 logits never exist; at most [B, T, chunk] at
 * a time, forward and backward (it is an {@link Autodiff#scan} over the projection's column chunks, whose
 * backward re-runs each chunk). The target logit is a gather of the token's column, [B, T, D].
 *
 * <pre>{@code
 * // hidden [B, T, D], wVocab [D, V], tokens [B, T] integer, valid [B, T] bool or float
 * Tensor loss = BlockwiseCrossEntropy.loss(hidden, wVocab, tokens, valid, 4096);
 * }</pre>
 */
public final class BlockwiseCrossEntropy {
  private BlockwiseCrossEntropy() {}

  /**
   * The mean over valid positions of {@code logsumexp(h·W) - (h·W)[token]}, in f32 (an f32 scalar; 0 when
   * nothing is valid).
   *
   * @param chunk vocabulary columns per step; must divide V
   */
  public static Tensor loss(Tensor hidden, Tensor wVocab, Tensor tokens, Tensor valid, long chunk) {
    check(hidden, wVocab, tokens, valid, chunk);
    Tensor mask = valid.astype(DType.F32);
    Tensor nll = tokenLoss(hidden, wVocab, tokens, chunk).mul(mask);
    return nll.sum().div(mask.sum().maximum(1.0));
  }

  /** Per position {@code logsumexp(h·W) - (h·W)[token]} as [B, T] f32, with chunked logits. */
  public static Tensor tokenLoss(Tensor hidden, Tensor wVocab, Tensor tokens, long chunk) {
    long b = hidden.type().shape().dims()[0];
    long t = hidden.type().shape().dims()[1];
    long d = hidden.type().shape().dims()[2];
    long v = wVocab.type().shape().dims()[1];
    long n = v / chunk;
    Tensor h = hidden.astype(DType.F32);
    Tensor w = wVocab.astype(DType.F32);
    // [D, V] -> [n, D, chunk]: chunk i holds columns [i*chunk, (i+1)*chunk)
    Tensor chunks = w.reshape(d, n, chunk).transpose(1, 0, 2);
    Tensor m0 = h.graph().full(org.xla4j.types.TensorType.of(DType.F32, b, t), -1e30);
    Tensor l0 = h.graph().zeros(DType.F32, b, t);
    Autodiff.ScanOut r = Autodiff.scan(Tree.of(Map.of("m", m0, "l", l0)), Tree.of(Map.of("w", chunks)),
        Tree.of(Map.of("h", h)), (c, x, k) -> {
          Tensor logits = k.get("h").matmul(x.get("w")); // [B, T, chunk]
          // the log-sum-exp does not depend on the running max, so it carries no gradient
          Tensor m = Autodiff.stopGradient(c.get("m").maximum(logits.max(2)));
          Tensor l = c.get("l").mul(c.get("m").sub(m).exp())
              .add(logits.sub(m.reshape(b, t, 1)).exp().sum(2));
          return new Autodiff.ScanOut(Tree.of(Map.of("m", m, "l", l)), Tree.empty());
        });
    Tensor lse = r.carry().get("m").add(r.carry().get("l").log());
    // the target column of W per position: [B, T, D], then its dot with h
    Tensor cols = w.transpose(1, 0).take(tokens, 0);
    Tensor target = h.mul(cols).sum(2);
    return lse.sub(target);
  }

  /** The same loss with dense [B, T, V] logits: the reference the blockwise one is tested against. */
  public static Tensor denseLoss(Tensor hidden, Tensor wVocab, Tensor tokens, Tensor valid) {
    Tensor logits = hidden.astype(DType.F32).matmul(wVocab.astype(DType.F32));
    long v = wVocab.type().shape().dims()[1];
    Tensor m = Autodiff.stopGradient(logits.max(2, true));
    Tensor lse = logits.sub(m).exp().sum(2).log().add(m.sum(2));
    Tensor target = logits.mul(tokens.oneHot((int) v, DType.F32)).sum(2);
    Tensor mask = valid.astype(DType.F32);
    return lse.sub(target).mul(mask).sum().div(mask.sum().maximum(1.0));
  }

  private static void check(Tensor hidden, Tensor w, Tensor tokens, Tensor valid, long chunk) {
    long[] h = hidden.type().shape().dims();
    long[] wd = w.type().shape().dims();
    if (h.length != 3 || wd.length != 2 || wd[0] != h[2]) {
      throw new IllegalArgumentException("blockwiseCrossEntropy: requires hidden [B, T, D] and wVocab [D, V], got "
          + hidden.type() + " and " + w.type());
    }
    if (!tokens.dtype().isInteger() || !java.util.Arrays.equals(tokens.type().shape().dims(), new long[] {h[0], h[1]})
        || !java.util.Arrays.equals(valid.type().shape().dims(), new long[] {h[0], h[1]})) {
      throw new IllegalArgumentException("blockwiseCrossEntropy: requires integer tokens and a valid mask of shape ["
          + h[0] + ", " + h[1] + "], got " + tokens.type() + " and " + valid.type());
    }
    if (chunk < 1 || wd[1] % chunk != 0) {
      throw new IllegalArgumentException("blockwiseCrossEntropy: requires a chunk dividing V=" + wd[1] + ", got " + chunk);
    }
  }
}
