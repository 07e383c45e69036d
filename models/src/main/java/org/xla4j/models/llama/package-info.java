/**
 * Hugging Face {@code LlamaForCausalLM} on the DSL: {@link org.xla4j.models.llama.LlamaConfig} (read from
 * {@code config.json}; parameters under paths mirroring the HF names, matrices {@code [in, out]}),
 * {@link org.xla4j.models.llama.LlamaCheckpoint} (HF names to those paths), {@link org.xla4j.models.llama.Llama}
 * (forward to f32 logits) and {@link org.xla4j.models.llama.LlamaRope} (inverse frequencies with llama3 scaling).
 * NX-AI/xlstm-jax's Llama attention options (head_dim, qk_norm, use_bias, dropout, causal, segment_ids,
 * attention_backend) map onto the config and {@link org.xla4j.models.llama.Llama.Inputs}; the mapping is
 * listed on {@link org.xla4j.models.llama.LlamaConfig}. Tested against {@code scripts/llama_reference.py}.
 */
package org.xla4j.models.llama;
