package org.xla4j.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What a CLI command run in-process prints: tests check it instead of letting it reach the build log,
 * where an expected error message would look like a failure.
 */
public final class StdStreams {
  private StdStreams() {}

  /** Everything {@code r} prints to stdout. */
  public static String out(Runnable r) { return capture(r, () -> System.out, System::setOut); }

  /** Everything {@code r} prints to stderr. */
  public static String err(Runnable r) { return capture(r, () -> System.err, System::setErr); }

  private static String capture(Runnable r, Supplier<PrintStream> get, Consumer<PrintStream> set) {
    PrintStream old = get.get();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    set.accept(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      set.accept(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }
}
