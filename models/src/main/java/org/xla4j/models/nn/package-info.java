/**
 * Transformer building blocks over the DSL: rotary embeddings ({@link org.xla4j.models.nn.Rope}),
 * {@link org.xla4j.models.nn.XPos}, {@link org.xla4j.models.nn.Norms} (RMSNorm, also on q/k, LayerNorm and
 * L2 normalization), {@link org.xla4j.models.nn.Dropout} (with an explicit key),
 * {@link org.xla4j.models.nn.Activations} (gelu, silu), the Blockwise Parallel Transformer's chunked
 * feed-forward ({@link org.xla4j.models.nn.BlockwiseFfn}) and block ({@link org.xla4j.models.nn.BptBlock}).
 * Zeta's block lives in {@link org.xla4j.models.zeta}. Norms and softmax compute in f32 (f64 for f64 inputs)
 * and return the input's dtype.
 */
package org.xla4j.models.nn;
