package org.xla4j.models.moe;

/** How router probabilities become the gates of the selected experts. Both: f32 softmax over experts, top-k. */
public enum RouterKind {
  /** Grok-1: the top-k softmax probabilities themselves, not renormalized. */
  GROK,
  /** Mixtral: the top-k probabilities divided by their sum. */
  RENORMALIZED
}
