package org.xla4j.models.generate;

/**
 * A prompt (token ids) and how to continue it.
 *
 * <pre>{@code
 * Request r = new Request(tokenizer.encode("Hello"), SamplingParams.greedy(16));
 * }</pre>
 */
public record Request(int[] prompt, SamplingParams params) {
  public Request {
    java.util.Objects.requireNonNull(params, "params");
    if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("Request: the prompt needs at least one token");
    prompt = prompt.clone();
  }
}
