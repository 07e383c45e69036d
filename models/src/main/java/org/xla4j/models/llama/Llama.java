package org.xla4j.models.llama;

import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.CallSite;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.OpException;
import org.xla4j.ir.Precision;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.nn.Activations;
import org.xla4j.models.nn.Rope;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Hugging Face {@code LlamaForCausalLM}'s forward pass (no cache, causal, positions 0..T-1): embeddings;
 * per layer {@code h += o(attn(rope(q(N(h))), rope(k(N(h))), v(N(h))))} and {@code h += down(silu(gate(N(h))) ⊙
 * up(N(h)))}; final norm; {@code lm_head} (or the tied table). RMSNorm as HF: {@code weight · dtype(x·rsqrt(mean(x²)
 * + eps))} with the statistics in f32; RoPE rotate_half with {@code inv_freq = 1/theta^(arange(0, d, 2)/d)}; GQA.
 *
 * <pre>{@code
 * Graph g = new Graph("llama");
 * Tensor logits = Llama.build(g, LlamaConfig.tiny(DType.F32), 2, 8, Mechanism.VANILLA);   // f32 [2, 8, vocab]
 * }</pre>
 */
public final class Llama {
  static {
    CallSite.registerLibraryPackage("org.xla4j.models.");
  }

  private Llama() {}

  /** Adds the parameters (flatten order) and {@code tokens i32 [batch, seq]} to {@code g}; returns f32 logits. */
  public static Tensor build(Graph g, LlamaConfig c, long batch, long seq, Mechanism mechanism) {
    Tree<Tensor> params = g.parameters(c.parameterTypes());
    return forward(c, params, g.parameter(DType.I32, batch, seq), mechanism);
  }

  /** Logits f32 {@code [B, T, vocab]} of {@code tokens [B, T]}. */
  public static Tensor forward(LlamaConfig c, Tree<Tensor> params, Tensor tokens, Mechanism mechanism) {
    Tree<TensorType> want = c.parameterTypes();
    for (Tree.Leaf<TensorType> leaf : want) {
      if (!params.contains(leaf.path()) || !params.get(leaf.path()).type().equals(leaf.value())) {
        throw new OpException("llama", "requires parameter " + leaf.path() + " of type " + leaf.value() + ", got "
            + params.find(leaf.path()).map(t -> t.type().toString()).orElse("none"), CallSite.find(""));
      }
    }
    if (tokens.rank() != 2 || !tokens.dtype().isInteger()) {
      throw new OpException("llama", "requires integer tokens [batch, seq], got " + tokens.type(), CallSite.find(""));
    }
    Graph g = tokens.graph();
    long b = tokens.dim(0);
    long t = tokens.dim(1);
    Tensor table = params.get("model/embed_tokens/weight");
    Tensor h = table.take(tokens.astype(DType.I32), 0);
    Rope.Freqs f = Rope.precomputeFreqs(g.arange(t, DType.I32), c.headDim(), c.ropeTheta());
    AttentionOptions ao = AttentionOptions.builder().mechanism(mechanism).causal(true).numHeads(c.numHeads())
        .numKvHeads(c.numKvHeads()).softmaxScale(1 / Math.sqrt(c.headDim())).build();
    for (int l = 0; l < c.numLayers(); l++) {
      Tree<Tensor> p = params.subtree("model/layers/" + l);
      Tensor x = rmsNorm(h, p.get("input_layernorm/weight"), c.rmsEps());
      Tensor q = Rope.applyRotaryHalf(linear(x, p, "self_attn/q_proj").reshape(b, t, c.numHeads(), c.headDim()), f);
      Tensor k = Rope.applyRotaryHalf(linear(x, p, "self_attn/k_proj").reshape(b, t, c.numKvHeads(), c.headDim()), f);
      Tensor v = linear(x, p, "self_attn/v_proj").reshape(b, t, c.numKvHeads(), c.headDim());
      Tensor a = Attention.apply(ao, q, k, v).reshape(b, t, (long) c.numHeads() * c.headDim());
      h = h.add(linear(a, p, "self_attn/o_proj"));
      x = rmsNorm(h, p.get("post_attention_layernorm/weight"), c.rmsEps());
      Tensor m = Activations.silu(linear(x, p, "mlp/gate_proj")).mul(linear(x, p, "mlp/up_proj"));
      h = h.add(linear(m, p, "mlp/down_proj"));
    }
    h = rmsNorm(h, params.get("model/norm/weight"), c.rmsEps());
    Tensor head = c.tieWordEmbeddings() ? table : params.get("lm_head/weight");
    return matmulT(h, head).astype(DType.F32);
  }

  /** HF LlamaRMSNorm: statistics in f32, normalized x cast back, then times the weight in x's dtype. */
  static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
    Tensor f = x.astype(DType.F32);
    Tensor y = f.mul(f.square().mean(-1, true).add(eps).rsqrt()).astype(x.dtype());
    return y.mul(weight.astype(x.dtype()));
  }

  /** {@code x · Wᵀ (+ b)} for a torch-layout weight {@code [out, in]}. */
  static Tensor linear(Tensor x, Tree<Tensor> p, String module) {
    Tensor y = matmulT(x, p.get(module + "/weight"));
    return p.contains(module + "/bias") ? y.add(p.get(module + "/bias")) : y;
  }

  private static Tensor matmulT(Tensor x, Tensor w) {
    return x.dotGeneral(w, new DotDims(List.of(), List.of(), List.of(x.rank() - 1), List.of(1)), Precision.DEFAULT, null);
  }
}
