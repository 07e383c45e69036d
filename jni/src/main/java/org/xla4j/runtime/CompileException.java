package org.xla4j.runtime;

/** A program that did not parse or compile; {@link #diagnostic()} holds what XLA/MLIR said. */
public class CompileException extends XlaException {
  private final String diagnostic;

  public CompileException(Code code, String summary, String diagnostic) {
    super(code, summary + (diagnostic == null || diagnostic.isBlank() ? "" : "\n" + diagnostic.strip()));
    this.diagnostic = diagnostic == null ? "" : diagnostic.strip();
  }

  /** The compiler's own diagnostic text (e.g. {@code loc("-":3:10): error: unregistered operation ...}). */
  public String diagnostic() { return diagnostic; }
}
