package org.xla4j.models.llama;

import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * A Hugging Face {@code LlamaForCausalLM} config (the keys of its {@code config.json}) and its parameter tree.
 *
 * <pre>{@code
 * LlamaConfig c = LlamaConfig.tiny(DType.F32);
 * Tree<TensorType> p = c.parameterTypes();   // model/layers/0/self_attn/q_proj/weight [out, in], ...
 * }</pre>
 *
 * @param vocabSize vocab_size
 * @param hiddenSize hidden_size
 * @param intermediateSize intermediate_size (MLP width)
 * @param numLayers num_hidden_layers
 * @param numHeads num_attention_heads
 * @param numKvHeads num_key_value_heads (dividing numHeads)
 * @param headDim head_dim
 * @param ropeTheta rope_theta
 * @param rmsEps rms_norm_eps
 * @param tieWordEmbeddings tie_word_embeddings: no {@code lm_head}, the embedding table projects the output
 * @param attentionBias attention_bias: q, k, v, o projections have biases
 * @param mlpBias mlp_bias: gate, up, down projections have biases
 * @param dtype the parameters' and activations' float type
 */
public record LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads,
    int headDim, double ropeTheta, double rmsEps, boolean tieWordEmbeddings, boolean attentionBias, boolean mlpBias,
    DType dtype) {

  public LlamaConfig {
    if (vocabSize <= 0 || hiddenSize <= 0 || intermediateSize <= 0 || numLayers <= 0 || numHeads <= 0 || numKvHeads <= 0
        || headDim <= 0 || headDim % 2 != 0 || numHeads % numKvHeads != 0 || dtype == null || !dtype.isFloat()) {
      throw new IllegalArgumentException("LlamaConfig requires positive sizes, an even head_dim, kv heads dividing heads "
          + "and a float dtype, got " + vocabSize + "/" + hiddenSize + "/" + intermediateSize + "/" + numLayers + " layers/"
          + numHeads + "/" + numKvHeads + " heads/head_dim " + headDim + "/" + dtype);
    }
  }

  /** vocab 96, hidden 32, MLP 48, 2 layers, 4/2 heads of 8, untied, with attention biases. */
  public static LlamaConfig tiny(DType dtype) {
    return new LlamaConfig(96, 32, 48, 2, 4, 2, 8, 10000, 1e-6, false, true, false, dtype);
  }

  /**
   * Parameters under the Hugging Face names with {@code '.'} as the path separator, matrices in torch's
   * {@code [out, in]} layout: {@code model/embed_tokens/weight}, {@code model/layers/N/self_attn/{q,k,v,o}_proj/weight}
   * (and {@code bias}), {@code model/layers/N/mlp/{gate,up,down}_proj/weight}, {@code model/layers/N/
   * {input,post_attention}_layernorm/weight}, {@code model/norm/weight}, {@code lm_head/weight} unless tied.
   */
  public Tree<TensorType> parameterTypes() {
    Tree.Builder<TensorType> b = Tree.builder();
    long d = hiddenSize;
    long q = (long) numHeads * headDim;
    long kv = (long) numKvHeads * headDim;
    b.put("model/embed_tokens/weight", TensorType.of(dtype, vocabSize, d));
    b.put("model/norm/weight", TensorType.of(dtype, d));
    if (!tieWordEmbeddings) b.put("lm_head/weight", TensorType.of(dtype, vocabSize, d));
    for (int l = 0; l < numLayers; l++) {
      String p = "model/layers/" + l + "/";
      linear(b, p + "self_attn/q_proj", q, d, attentionBias);
      linear(b, p + "self_attn/k_proj", kv, d, attentionBias);
      linear(b, p + "self_attn/v_proj", kv, d, attentionBias);
      linear(b, p + "self_attn/o_proj", d, q, attentionBias);
      linear(b, p + "mlp/gate_proj", intermediateSize, d, mlpBias);
      linear(b, p + "mlp/up_proj", intermediateSize, d, mlpBias);
      linear(b, p + "mlp/down_proj", d, intermediateSize, mlpBias);
      b.put(p + "input_layernorm/weight", TensorType.of(dtype, d));
      b.put(p + "post_attention_layernorm/weight", TensorType.of(dtype, d));
    }
    return b.build();
  }

  private void linear(Tree.Builder<TensorType> b, String module, long out, long in, boolean bias) {
    b.put(module + "/weight", TensorType.of(dtype, out, in));
    if (bias) b.put(module + "/bias", TensorType.of(dtype, out));
  }
}
