package org.xla4j.models.nn;

import java.util.List;
import java.util.Objects;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
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
 * BptBlock.Weights w = BptBlock.Weights.parameters(g, c, DType.F32);  // paths attn/q/w, mlp/fc_in/b, ...
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

  /**
   * The block's weights, a tree with these paths (dense weights are [in, out]):
   * <pre>
   *   ln_1/scale, ln_1/bias              [hidden]
   *   attn/q/w, attn/k/w, attn/v/w       [hidden, hidden]
   *   attn/o/w                           [hidden, hidden]
   *   ln_2/scale, ln_2/bias              [hidden]
   *   mlp/fc_in/w  [hidden, intermediate],  mlp/fc_in/b  [intermediate]
   *   mlp/fc_out/w [intermediate, hidden],  mlp/fc_out/b [hidden]
   * </pre>
   * As program arguments they come in the tree's flatten order ({@code attn/k/w} first); name them, never
   * count them.
   *
   * <pre>{@code
   * Tree<TensorType> types = BptBlock.Weights.types(c, DType.BF16);
   * BptBlock.Weights w = new BptBlock.Weights(g.parameters(types));    // or a layer's subtree of a model
   * Tree<Tensor> attn = w.tree().subtree("attn");
   * }</pre>
   *
   * @param tree exactly the paths above
   */
  public record Weights(Tree<Tensor> tree) {
    /** The paths a block's weights have, in flatten order. */
    public static final List<String> PATHS = shapes(1, 1).paths();

    public Weights {
      Objects.requireNonNull(tree, "tree");
      shapes(1, 1).requireSameStructure(tree, "BptBlock.Weights (the expected paths vs the given tree)");
    }

    /** The weight types of a block of {@code c} in {@code dt}. */
    public static Tree<TensorType> types(Config c, DType dt) {
      return shapes(c.hiddenSize(), c.intermediateSize()).map(s -> new TensorType(dt, s));
    }

    /** Weights as parameters of {@code g}, in the tree's flatten order (large weights go in as inputs). */
    public static Weights parameters(Graph g, Config c, DType dt) { return new Weights(g.parameters(types(c, dt))); }

    private static Tree<Shape> shapes(long d, long f) {
      return Tree.<Shape>builder()
          .put("ln_1/scale", Shape.of(d)).put("ln_1/bias", Shape.of(d))
          .put("attn/q/w", Shape.of(d, d)).put("attn/k/w", Shape.of(d, d)).put("attn/v/w", Shape.of(d, d))
          .put("attn/o/w", Shape.of(d, d))
          .put("ln_2/scale", Shape.of(d)).put("ln_2/bias", Shape.of(d))
          .put("mlp/fc_in/w", Shape.of(d, f)).put("mlp/fc_in/b", Shape.of(f))
          .put("mlp/fc_out/w", Shape.of(f, d)).put("mlp/fc_out/b", Shape.of(d))
          .build();
    }

    /** Checks every weight's shape against {@code c}, naming the path. */
    void check(Config c) {
      Tree<Shape> want = shapes(c.hiddenSize(), c.intermediateSize());
      for (Tree.Leaf<Shape> l : want) {
        Tensor t = tree.get(l.path());
        if (!t.shape().equals(l.value())) {
          throw Rope.error("BptBlock.forward", "requires weight '" + l.path() + "' of shape " + l.value()
              + " for hidden " + c.hiddenSize() + ", intermediate " + c.intermediateSize() + ", got " + t.type());
        }
      }
    }

    public Tensor ln1Scale() { return tree.get("ln_1/scale"); }

    public Tensor ln1Bias() { return tree.get("ln_1/bias"); }

    public Tensor wq() { return tree.get("attn/q/w"); }

    public Tensor wk() { return tree.get("attn/k/w"); }

    public Tensor wv() { return tree.get("attn/v/w"); }

    public Tensor wo() { return tree.get("attn/o/w"); }

    public Tensor ln2Scale() { return tree.get("ln_2/scale"); }

    public Tensor ln2Bias() { return tree.get("ln_2/bias"); }

    public Tensor w1() { return tree.get("mlp/fc_in/w"); }

    public Tensor b1() { return tree.get("mlp/fc_in/b"); }

    public Tensor w2() { return tree.get("mlp/fc_out/w"); }

    public Tensor b2() { return tree.get("mlp/fc_out/b"); }
  }

  /** The block on {@code x [B, S, hidden]}; {@code blockwise} picks chunked or reference computation. */
  public static Tensor forward(Config c, Weights w, Tensor x, boolean blockwise) {
    if (x.rank() != 3 || x.dim(2) != c.hiddenSize()) {
      throw Rope.error("BptBlock.forward", "requires x of shape [B, S, " + c.hiddenSize() + "], got " + x.type());
    }
    w.check(c);
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
