package org.xla4j.models.generate;

import java.time.Duration;

/**
 * Timings of a {@link Generator}'s last {@code generate} call.
 *
 * @param compile compiling the programs it needed (zero when already compiled)
 * @param timeToFirstToken from the start of generation (after compiling) to the first token on the host
 * @param prefillTokens real prompt tokens prefilled
 * @param prefill time in prefill calls
 * @param decodeTokens tokens from decode calls that requests kept (a free row's, or one past a request's end, is not counted)
 * @param decode time in decode calls
 */
public record GenerationStats(Duration compile, Duration timeToFirstToken, long prefillTokens, Duration prefill,
    long decodeTokens, Duration decode) {
  /** Prompt tokens per second of prefill. */
  public double prefillTokensPerSecond() { return rate(prefillTokens, prefill); }

  /** Generated tokens per second of decode. */
  public double decodeTokensPerSecond() { return rate(decodeTokens, decode); }

  private static double rate(long n, Duration d) {
    return d.isZero() ? 0 : n / (d.toNanos() / 1e9);
  }
}
