package org.xla4j.runtime.cpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
  /** Capture files are named {@code xla4j-stderr-PID-*.txt}, so a later process can tell whose they are. */
  static final String PREFIX = "xla4j-stderr-" + ProcessHandle.current().pid() + "-";
  private static final Pattern NAME = Pattern.compile("xla4j-stderr(?:-(\\d+)-)?.*\\.txt");
  /** A capture file without an owner pid (older releases) is stale after this long. */
  private static final Duration ORPHAN_AGE = Duration.ofHours(1);

  /** The capture file in use, for the shutdown hook (System.exit during a compile). */
  private static volatile Path open;

  static {
    // a JVM that dies during a compile (killed, or a native crash) cannot delete its capture file
    sweepStale(Path.of(System.getProperty("java.io.tmpdir")));
    try {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        Path p = open;
        if (p != null) p.toFile().delete();
      }, "xla4j-stderr-cleanup"));
    } catch (IllegalStateException | SecurityException e) {
      // already shutting down
    }
  }

  /**
   * Deletes capture files in {@code dir} left by processes that no longer run (and pid-less ones
   * older than an hour); returns how many. Never throws: a file it cannot delete stays.
   */
  static int sweepStale(Path dir) {
    int n = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "xla4j-stderr*.txt")) {
      for (Path f : files) {
        Matcher m = NAME.matcher(f.getFileName().toString());
        if (!m.matches()) continue;
        boolean stale;
        if (m.group(1) != null) {
          long pid = Long.parseLong(m.group(1));
          stale = pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
        } else {
          stale = Files.getLastModifiedTime(f).toInstant().isBefore(Instant.now().minus(ORPHAN_AGE));
        }
        if (stale && Files.deleteIfExists(f)) n++;
      }
    } catch (IOException | RuntimeException e) {
      // sweeping is housekeeping: never fail a compile over it
    }
    return n;
  }

  /** What an action threw (or null) and the text it printed to native stderr. */
  record Outcome(RuntimeException error, String text) {}

  /** Runs {@code action}; its RuntimeException is returned in the outcome, not thrown. */
  static Outcome run(Runnable action) {
    synchronized (LOCK) {
      Path tmp;
      int saved;
      try {
        tmp = Files.createTempFile(PREFIX, ".txt");
        open = tmp;
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
      open = null;
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
