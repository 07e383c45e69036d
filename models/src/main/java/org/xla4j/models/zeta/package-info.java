/**
 * kyegomez/zeta's {@code TransformerBlock} (a PaLM-style parallel attention + SwiGLU block with multi-query
 * attention, qk-norm, xPos and LoRA adapters) as a config ({@link org.xla4j.models.zeta.ZetaBlockConfig}),
 * a parameter tree and a forward pass ({@link org.xla4j.models.zeta.ZetaBlock}) over the shared
 * {@code models.nn} layers and {@link org.xla4j.models.attention.Attention}.
 */
package org.xla4j.models.zeta;
