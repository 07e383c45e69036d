/**
 * Grok-1 (xai-org/grok-1) on the DSL: {@link org.xla4j.models.grok.Grok1Config} (sizes, constants, the parameter
 * tree under Grok-1's own paths, bf16 or int8 weights) and {@link org.xla4j.models.grok.Grok1} (the forward pass
 * from tokens to f32 logits). Tested against the numpy oracle {@code scripts/grok_reference.py}.
 */
package org.xla4j.models.grok;
