package org.xla4j.runtime.cpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs an action while native file descriptor 2 (stderr) points at a temporary file, then restores
 * it and returns what was written. TensorFlow reports a module that does not parse only as "Cannot
 * deserialize computation"; the MLIR diagnostic that says why goes to native stderr, so this is the
 * only way to put it into the Java exception. A file, not a pipe: a chatty compile cannot fill a pipe
 * buffer and block.
 *
 * <p>fd 2 is process-wide, so captures are serialized; anything else the process prints meanwhile
 * (Java's System.err included) is captured too and re-printed when {@code XLA4J_VERBOSE} is set.
 */
final class NativeStderrCapture {
  private NativeStderrCapture() {}

  private static final Object LOCK = new Object();
  private static final boolean VERBOSE = System.getenv("XLA4J_VERBOSE") != null;

  /** What an action threw (or null) and the text it printed to native stderr. */
  record Outcome(RuntimeException error, String text) {}

  /** Runs {@code action}; its RuntimeException is returned in the outcome, not thrown. */
  static Outcome run(Runnable action) {
    synchronized (LOCK) {
      Path tmp;
      int saved;
      try {
        tmp = Files.createTempFile("xla4j-stderr", ".txt");
        int fd = Libc.creat(tmp.toString());
        if (fd < 0) {
          Files.deleteIfExists(tmp);
          return runUncaptured(action);
        }
        Libc.fflushAll();
        System.err.flush();
        saved = Libc.dup(2);
        Libc.dup2(fd, 2);
        Libc.close(fd);
      } catch (IOException | RuntimeException | LinkageError e) {
        // no native access (or no temp dir): run anyway, only without the diagnostic
        return runUncaptured(action);
      }
      RuntimeException error = null;
      try {
        action.run();
      } catch (RuntimeException e) {
        error = e;
      } finally {
        System.err.flush();
        Libc.fflushAll();
        Libc.dup2(saved, 2);
        Libc.close(saved);
      }
      String text = readAndDelete(tmp);
      if (VERBOSE && !text.isEmpty()) {
        System.err.print(text);
        System.err.flush();
      }
      return new Outcome(error, text);
    }
  }

  private static Outcome runUncaptured(Runnable action) {
    try {
      action.run();
      return new Outcome(null, "");
    } catch (RuntimeException e) {
      return new Outcome(e, "");
    }
  }

  private static String readAndDelete(Path tmp) {
    try {
      return new String(Files.readAllBytes(tmp), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // a leftover temp file is harmless
      }
    }
  }
}
