package org.xla4j.models.tokenizer;

import java.util.OptionalInt;

/**
 * A model's special token ids; each may be absent.
 *
 * @param bos beginning of sequence
 * @param eos end of sequence: generation of a row stops after it
 * @param pad padding (Grok-1: 0)
 */
public record SpecialTokens(OptionalInt bos, OptionalInt eos, OptionalInt pad) {
  public SpecialTokens {
    java.util.Objects.requireNonNull(bos, "bos");
    java.util.Objects.requireNonNull(eos, "eos");
    java.util.Objects.requireNonNull(pad, "pad");
  }

  /** No special tokens. */
  public static SpecialTokens none() {
    return new SpecialTokens(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty());
  }

  /** Whether {@code id} is one of the special ids. */
  public boolean isSpecial(int id) {
    return (bos.isPresent() && bos.getAsInt() == id) || (eos.isPresent() && eos.getAsInt() == id)
        || (pad.isPresent() && pad.getAsInt() == id);
  }

  /** Each id from this where present, else from {@code fallback}: config.json's ids over a tokenizer file's own. */
  public SpecialTokens orElse(SpecialTokens fallback) {
    return new SpecialTokens(bos.isPresent() ? bos : fallback.bos(), eos.isPresent() ? eos : fallback.eos(),
        pad.isPresent() ? pad : fallback.pad());
  }
}
