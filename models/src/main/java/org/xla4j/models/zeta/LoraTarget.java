package org.xla4j.models.zeta;

/**
 * A projection of {@link ZetaBlock} that can carry a LoRA adapter (zeta's {@code finetune_modules}, in this
 * order): the query, key and value projections read the normalized input, the output projection reads the
 * merged attention heads.
 */
public enum LoraTarget {
  Q, K, V, O;

  /** The tree component of this target's adapter: {@code lora/q/A}, ... */
  public String key() { return name().toLowerCase(java.util.Locale.ROOT); }
}
