package org.xla4j.models.generate;

/**
 * One request's result.
 *
 * @param request the request's index in the call
 * @param tokens the generated ids only (the stop id included when one ended it)
 * @param text their text (empty without a tokenizer)
 * @param reason why it ended
 */
public record Completion(int request, int[] tokens, String text, FinishReason reason) {
  /** Why a request ended. */
  public enum FinishReason {
    /** A stop id (the model's EOS or one of {@link SamplingParams#stopIds()}) was generated. */
    STOP,
    /** {@link SamplingParams#maxNewTokens()} tokens were generated. */
    LENGTH
  }
}
