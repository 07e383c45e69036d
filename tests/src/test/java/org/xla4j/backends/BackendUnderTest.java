package org.xla4j.backends;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.pjrt.PjrtBackend;
import org.xla4j.runtime.pjrt.PjrtPlugins;

/**
 * The backends the suite runs on, opened once per JVM and closed at exit. A backend that cannot be
 * opened here (no PJRT plugin on a CPU machine, no TensorFlow on the GPU machine's classpath) makes
 * its cases report as skipped, with the reason; they never pass without running.
 */
final class BackendUnderTest {
  private BackendUnderTest() {}

  /** Specs of every backend the suite is parameterized over. */
  static List<String> specs() { return List.of("cpu", "pjrt"); }

  private static final Map<String, Object> OPENED = new LinkedHashMap<>(); // Backend or a skip reason

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      synchronized (OPENED) {
        for (Object o : OPENED.values()) if (o instanceof Backend b) b.close();
      }
    }));
  }

  /** The backend for {@code spec}, or the calling test is skipped with the reason it is not here. */
  static Backend openOrSkip(String spec) {
    Object o;
    synchronized (OPENED) {
      o = OPENED.computeIfAbsent(spec, BackendUnderTest::tryOpen);
    }
    if (o instanceof String reason) assumeTrue(false, "SKIPPED " + spec + ": " + reason);
    return (Backend) o;
  }

  /** The PJRT backend, or the calling test is skipped with the reason. */
  static PjrtBackend pjrtOrSkip() {
    return (PjrtBackend) openOrSkip("pjrt");
  }

  private static Object tryOpen(String spec) {
    if (spec.equals("pjrt")) {
      PjrtPlugins.Search s = PjrtPlugins.find(null);
      if (s.plugin().isEmpty()) {
        return "no PJRT plugin on this machine (set " + PjrtPlugins.ENV + "); looked at: " + s.lookedAt();
      }
    }
    if (!Backends.available().contains(spec)) {
      return "backend '" + spec + "' is not on this classpath (available: " + Backends.available() + ")";
    }
    try {
      Backend b = Backends.open(spec);
      System.out.println("[backends] opened " + spec + ": " + b);
      return b;
    } catch (RuntimeException | LinkageError e) {
      if (spec.equals("pjrt")) throw e; // a plugin was found: failing to open it is a failure, not a skip
      return "backend '" + spec + "' did not open here: " + e;
    }
  }
}
