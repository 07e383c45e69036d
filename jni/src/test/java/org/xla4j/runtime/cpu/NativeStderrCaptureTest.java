package org.xla4j.runtime.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Capture files do not pile up in the temp directory (issue 8, item 16). */
class NativeStderrCaptureTest {
  @Test
  void sweepDeletesFilesOfDeadProcessesAndOldOrphansOnly(@TempDir Path dir) throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    long dead = p.pid();
    Path ofDead = Files.createFile(dir.resolve("xla4j-stderr-" + dead + "-123.txt"));
    Path ours = Files.createFile(dir.resolve(NativeStderrCapture.PREFIX + "456.txt"));
    Path oldOrphan = Files.createFile(dir.resolve("xla4j-stderr789.txt")); // the name before pids
    Files.setLastModifiedTime(oldOrphan, FileTime.from(Instant.now().minus(Duration.ofDays(1))));
    Path newOrphan = Files.createFile(dir.resolve("xla4j-stderr790.txt"));
    Path other = Files.createFile(dir.resolve("unrelated-" + dead + ".txt"));

    assertEquals(2, NativeStderrCapture.sweepStale(dir));
    assertFalse(Files.exists(ofDead));
    assertFalse(Files.exists(oldOrphan));
    assertTrue(Files.exists(ours), "a live process's capture file stays");
    assertTrue(Files.exists(newOrphan), "a recent pid-less file may belong to a running older release");
    assertTrue(Files.exists(other));
  }

  @Test
  void aCaptureLeavesNoFileBehind() throws IOException {
    NativeStderrCapture.Outcome o = NativeStderrCapture.run(() -> { });
    assertEquals(null, o.error());
    assertEquals(List.of(), ownFiles());
  }

  private static List<Path> ownFiles() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(f -> f.getFileName().toString().startsWith(NativeStderrCapture.PREFIX)).toList();
    }
  }
}
