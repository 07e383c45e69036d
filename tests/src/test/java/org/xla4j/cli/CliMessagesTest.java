package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CLI's one-line error messages and its progress facade. */
class CliMessagesTest {
  @Test
  void anExceptionWithoutMessageIsNotPrintedAsNull() {
    String m = CliErrors.message(new NullPointerException());
    assertFalse(m.equals("null") || m.contains(": null"), m);
    assertTrue(m.contains("NullPointerException") && m.contains("XLA4J_VERBOSE"), m);
    assertEquals("disk full", CliErrors.message(new RuntimeException(null, new java.io.IOException("disk full")))
        .replaceAll(".*caused by ", "").replaceAll(" \\(rerun.*", ""));
  }

  @Test
  void progressWritesStageBarAndElapsedTime() {
    List<String> lines = new ArrayList<>();
    try (Progress p = Progress.to(lines::add, "attention compare", 4)) {
      p.message("VANILLA").step().step();
    }
    String last = lines.get(lines.size() - 1);
    assertTrue(last.contains("attention compare") && last.contains("2/4") && last.contains("VANILLA"), last);
    assertTrue(last.matches(".*\\d+:\\d\\d:\\d\\d.*"), "elapsed time: " + last);
  }

  @Test
  void quietOrNoTerminalShowsNoProgress() {
    Progress.setQuiet(true);
    try {
      assertFalse(Progress.enabled());
    } finally {
      Progress.setQuiet(false);
    }
    // surefire's stderr is a pipe: the launcher would not export XLA4J_STDERR_TTY=1
    assertEquals("1".equals(System.getenv("XLA4J_STDERR_TTY")), Progress.enabled());
  }
}
