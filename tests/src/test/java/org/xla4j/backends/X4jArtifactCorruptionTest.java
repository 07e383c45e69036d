package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xla4j.runtime.X4jArtifact;

/**
 * A {@code .x4j} whose header is right but whose body is damaged: every way of reading it either gives
 * back an artifact or fails with one clear IllegalArgumentException that says the file is corrupt, never
 * a bare IndexOutOfBoundsException, an OutOfMemoryError from a damaged length, or a Java class name.
 */
class X4jArtifactCorruptionTest {
  @Test
  void damagedBodiesFailClearly() {
    byte[] good = PjrtArtifactTest.sample().toBytes();
    Random r = new Random(8);
    for (int trial = 0; trial < 3000; trial++) {
      byte[] b = good.clone();
      int flips = 1 + r.nextInt(4);
      for (int i = 0; i < flips; i++) b[8 + r.nextInt(b.length - 8)] = (byte) r.nextInt(256);
      if (trial % 3 == 0) b = java.util.Arrays.copyOf(b, 8 + r.nextInt(b.length - 8));
      check(b, "trial " + trial);
    }
  }

  @Test
  void randomBytesAfterTheHeaderFailClearly() {
    Random r = new Random(9);
    for (int trial = 0; trial < 500; trial++) {
      byte[] b = new byte[8 + r.nextInt(300)];
      r.nextBytes(b);
      b[4] = 'X';
      b[5] = '4';
      b[6] = 'J';
      b[7] = '1';
      check(b, "random trial " + trial);
    }
  }

  private static void check(byte[] b, String what) {
    try {
      X4jArtifact.fromBytes(b);
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      assertTrue(m.contains("corrupt") || m.contains("layout version"), what + ": " + m);
      assertFalse(m.contains("java.lang.") || m.contains("java.nio."), what + ": names a Java class: " + m);
    } catch (Throwable t) {
      fail(what + ": " + t, t);
    }
  }
}
