package org.xla4j.checkpoint;

/** A checkpoint that does not fit its {@link CheckpointMap} or the model's expected parameter tree. */
public final class CheckpointException extends IllegalArgumentException {
  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
