package org.xla4j.models.nn;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * The Blockwise Parallel Transformer block, pre-LayerNorm:
 * <pre>
 *   h = x + Wo · attention(rope(Wq·LN1(x)), rope(Wk·LN1(x)), Wv·LN1(x))     (blockwise over q/k chunks)
 *   y = h + W2 · gelu(W1·LN2(h) + b1) + b2                                  (blockwise over sequence chunks)
 * </pre>
 * Rotary embedding covers the first {@code rotaryDim} dims of each head (GPT-J pairing). With
 * {@code blockwise = false} the same block runs unchunked (VANILLA attention, one FFN) — the reference.
 *
 * <pre>{@code
 * BptBlock.Config c = BptBlock.Config.seed();               // hidden 768, 12 heads, chunks 64
 * BptBlock.Weights w = BptBlock.Weights.parameters(g, c, DType.F32);
 * Tensor y = BptBlock.forward(c, w, x, true);                 // x [8, 128, 768] -> [8, 128, 768]
 * }</pre>
 */
public final class BptBlock {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private BptBlock() {}

  /** Hyper-parameters (names as BPT's config). */
  public record Config(int hiddenSize, int numHeads, int rotaryDim, int intermediateSize, double layerNormEpsilon,
      boolean causal, int queryChunkSize, int keyChunkSize, boolean float32Logits, double ropeTheta,
      boolean approximateGelu) {
    public Config {
      if (hiddenSize % numHeads != 0) {
        throw new IllegalArgumentException("BptBlock: requires heads dividing hidden_size, got " + numHeads + " and "
            + hiddenSize);
      }
      if (rotaryDim < 0 || rotaryDim % 2 != 0 || rotaryDim > hiddenSize / numHeads) {
        throw new IllegalArgumentException("BptBlock: requires an even rotary_dim <= head_dim "
            + hiddenSize / numHeads + ", got " + rotaryDim);
      }
    }

    /** The seed example: hidden 768, 12 heads, rotary_dim 64, intermediate 3072, eps 1e-5, causal, chunks 64. */
    public static Config seed() {
      return new Config(768, 12, 64, 3072, 1e-5, true, 64, 64, true, 10000, true);
    }

    public int headDim() { return hiddenSize / numHeads; }
  }

  /** The block's weights; dense weights are [in, out]. */
  public record Weights(Tensor ln1Scale, Tensor ln1Bias, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
      Tensor ln2Scale, Tensor ln2Bias, Tensor w1, Tensor b1, Tensor w2, Tensor b2) {

    /** The weight types in declaration order. */
    public static List<TensorType> types(Config c, DType dt) {
      long d = c.hiddenSize();
      long f = c.intermediateSize();
      List<TensorType> t = new ArrayList<>();
      t.add(TensorType.of(dt, d));
      t.add(TensorType.of(dt, d));
      for (int i = 0; i < 4; i++) t.add(TensorType.of(dt, d, d));
      t.add(TensorType.of(dt, d));
      t.add(TensorType.of(dt, d));
      t.add(TensorType.of(dt, d, f));
      t.add(TensorType.of(dt, f));
      t.add(TensorType.of(dt, f, d));
      t.add(TensorType.of(dt, d));
      return t;
    }

    /** Weights as parameters of {@code g}, in {@link #types} order (large weights go in as inputs). */
    public static Weights parameters(Graph g, Config c, DType dt) {
      List<Tensor> p = types(c, dt).stream().map(g::parameter).toList();
      return new Weights(p.get(0), p.get(1), p.get(2), p.get(3), p.get(4), p.get(5), p.get(6), p.get(7), p.get(8),
          p.get(9), p.get(10), p.get(11));
    }
  }

  /** The block on {@code x [B, S, hidden]}; {@code blockwise} picks chunked or reference computation. */
  public static Tensor forward(Config c, Weights w, Tensor x, boolean blockwise) {
    if (x.rank() != 3 || x.dim(2) != c.hiddenSize()) {
      throw Rope.error("BptBlock.forward", "requires x of shape [B, S, " + c.hiddenSize() + "], got " + x.type());
    }
    Graph g = x.graph();
    long b = x.dim(0);
    long s = x.dim(1);
    long hd = c.headDim();
    Tensor h = Norms.layerNorm(x, w.ln1Scale(), w.ln1Bias(), c.layerNormEpsilon());
    Tensor q = h.matmul(w.wq()).reshape(b, s, c.numHeads(), hd);
    Tensor k = h.matmul(w.wk()).reshape(b, s, c.numHeads(), hd);
    Tensor v = h.matmul(w.wv()).reshape(b, s, c.numHeads(), hd);
    if (c.rotaryDim() > 0) {
      Rope.Freqs f = Rope.precomputeFreqs(g, c.rotaryDim(), (int) s, c.ropeTheta());
      q = Rope.applyRotaryEmb(q, f);
      k = Rope.applyRotaryEmb(k, f);
    }
    AttentionOptions o = AttentionOptions.builder()
        .mechanism(blockwise ? Mechanism.BLOCKWISE : Mechanism.VANILLA)
        .causal(c.causal()).chunks(c.queryChunkSize(), c.keyChunkSize()).float32Logits(c.float32Logits())
        .build();
    Tensor a = Attention.apply(o, q, k, v).reshape(b, s, c.hiddenSize()).matmul(w.wo());
    Tensor x1 = x.add(a);
    Tensor h2 = Norms.layerNorm(x1, w.ln2Scale(), w.ln2Bias(), c.layerNormEpsilon());
    java.util.function.UnaryOperator<Tensor> ffn = t ->
        Activations.gelu(t.matmul(w.w1()).add(w.b1()), c.approximateGelu()).matmul(w.w2()).add(w.b2());
    Tensor y = blockwise ? BlockwiseFfn.apply(h2, c.queryChunkSize(), ffn) : ffn.apply(h2);
    return x1.add(y);
  }
}
