package org.xla4j.models.checkpoint;

/**
 * Progress of loading a checkpoint, reported in bytes: {@link #start} once, {@link #advance} after each
 * group of tensors (from the loading thread), {@link #finish} at the end (also after a failure). The CLI
 * renders it as a progress bar; {@link #NONE} ignores it.
 *
 * <pre>{@code
 * Tree<HostTensor> w = model.read(params, (LoadProgress) (what, total) -> System.err.println(what + ": " + total));
 * }</pre>
 */
public interface LoadProgress {
  /** Reports nothing. */
  LoadProgress NONE = (what, totalBytes) -> {};

  /** Loading {@code totalBytes} bytes begins; {@code what} names it (the checkpoint). */
  void start(String what, long totalBytes);

  /** {@code bytes} more are loaded ({@code path} is the last tensor of the group). */
  default void advance(String path, long bytes) {}

  /** Loading has ended. */
  default void finish() {}
}
