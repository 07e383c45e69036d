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
 * @param decode time in decode: launching calls and taking their ids (a call's device time overlaps the host's
 *     work on the call before it)
 * @param decodeCalls decode calls made
 * @param decodeLaunch host time launching decode calls (building arguments, handing them to the runtime)
 * @param decodeWait host time blocked on decode calls' ids (the device's part the host did not hide)
 */
public record GenerationStats(Duration compile, Duration timeToFirstToken, long prefillTokens, Duration prefill,
    long decodeTokens, Duration decode, long decodeCalls, Duration decodeLaunch, Duration decodeWait) {
  /** Nothing generated yet. */
  public static final GenerationStats NONE =
      new GenerationStats(Duration.ZERO, Duration.ZERO, 0, Duration.ZERO, 0, Duration.ZERO, 0, Duration.ZERO, Duration.ZERO);

  /** Prompt tokens per second of prefill. */
  public double prefillTokensPerSecond() { return rate(prefillTokens, prefill); }

  /** Generated tokens per second of decode. */
  public double decodeTokensPerSecond() { return rate(decodeTokens, decode); }

  /** Mean host time to launch one decode call, in milliseconds. */
  public double launchMillisPerCall() { return perCall(decodeLaunch); }

  /** Mean host time blocked on one decode call's ids, in milliseconds. */
  public double waitMillisPerCall() { return perCall(decodeWait); }

  private double perCall(Duration d) {
    return decodeCalls == 0 ? 0 : d.toNanos() / 1e6 / decodeCalls;
  }

  private static double rate(long n, Duration d) {
    return d.isZero() ? 0 : n / (d.toNanos() / 1e9);
  }
}
