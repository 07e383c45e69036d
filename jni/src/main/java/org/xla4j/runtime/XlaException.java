package org.xla4j.runtime;

/**
 * A failure reported by XLA or a PJRT plugin, with a code callers can branch on and XLA's own message.
 */
public class XlaException extends RuntimeException {
  /** Error codes, mirroring the PJRT/absl status codes. */
  public enum Code {
    CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS,
    PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE,
    UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED;

    /** Maps a PJRT/absl numeric code (1..16) to the enum; anything else is UNKNOWN. */
    public static Code fromNumber(int n) {
      Code[] v = values();
      return n >= 1 && n <= v.length ? v[n - 1] : UNKNOWN;
    }
  }

  private final Code code;

  public XlaException(Code code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  public XlaException(Code code, String message, Throwable cause) {
    super(code + ": " + message, cause);
    this.code = code;
  }

  public Code code() { return code; }
}
