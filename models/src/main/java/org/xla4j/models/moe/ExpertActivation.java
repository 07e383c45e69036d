package org.xla4j.models.moe;

/** The gate activation of an expert {@code (act(x·W) ⊙ (x·V))·W1}. */
public enum ExpertActivation {
  /** Grok-1: tanh-approximate GELU. */
  GELU_TANH,
  /** Mixtral / Llama: SiLU. */
  SILU
}
