package org.xla4j.models.tokenizer;

import java.nio.file.Path;

/** A tokenizer file that is missing, unreadable or malformed; the message names the file. */
public class TokenizerException extends RuntimeException {
  private final Path file;

  public TokenizerException(Path file, String detail, Throwable cause) {
    super(file + ": " + detail, cause);
    this.file = file;
  }

  public TokenizerException(Path file, String detail) { this(file, detail, null); }

  /** The file (or directory) the problem is in. */
  public Path file() { return file; }
}
