/**
 * Transformer building blocks over the DSL: rotary embeddings ({@link org.xla4j.models.nn.Rope}),
 * {@link org.xla4j.models.nn.XPos}, {@link org.xla4j.models.nn.Norms} (RMSNorm, also on q/k, and
 * LayerNorm), {@link org.xla4j.models.nn.Activations} (gelu), the Blockwise Parallel Transformer's
 * chunked feed-forward ({@link org.xla4j.models.nn.BlockwiseFfn}) and block ({@link org.xla4j.models.nn.BptBlock}).
 * Norms and softmax compute in f32 and return the input's dtype.
 */
package org.xla4j.models.nn;
