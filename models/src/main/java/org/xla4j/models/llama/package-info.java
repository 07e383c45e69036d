/**
 * Hugging Face {@code LlamaForCausalLM} on the DSL: {@link org.xla4j.models.llama.LlamaConfig} (parameters under
 * the HF names, '.' as '/') and {@link org.xla4j.models.llama.Llama} (forward to f32 logits). Tested against
 * {@code scripts/llama_reference.py}.
 */
package org.xla4j.models.llama;
