package org.xla4j.runtime.cpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The few libc calls the CPU backend needs, bound with java.lang.foreign: file-descriptor juggling to
 * capture what TensorFlow/MLIR print to native stderr, and {@code setenv} so TensorFlow sees settings
 * made from Java (the JDK cannot change its own process environment).
 */
final class Libc {
  private Libc() {}

  private static final Linker LINKER = Linker.nativeLinker();
  private static final MethodHandle DUP = bind("dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle DUP2 = bind("dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  // creat(path, mode) is open(O_CREAT|O_WRONLY|O_TRUNC) without open's variadic signature
  private static final MethodHandle CREAT = bind("creat", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle FFLUSH = bind("fflush", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle SETENV = bind("setenv", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));

  @SuppressWarnings("restricted") // binding libc needs native access, granted by --enable-native-access
  private static MethodHandle bind(String name, FunctionDescriptor fd) {
    MemorySegment f = LINKER.defaultLookup().find(name)
        .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    return LINKER.downcallHandle(f, fd);
  }

  static int dup(int fd) { return call(() -> (int) DUP.invokeExact(fd), "dup"); }

  static int dup2(int from, int to) { return call(() -> (int) DUP2.invokeExact(from, to), "dup2"); }

  static int close(int fd) { return call(() -> (int) CLOSE.invokeExact(fd), "close"); }

  /** Creates/truncates a file for writing with permissions 0600. */
  static int creat(String path) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment p = a.allocateFrom(path);
      return call(() -> (int) CREAT.invokeExact(p, 0600), "creat");
    }
  }

  /** Flushes every C stdio output stream, so buffered text lands before a descriptor is swapped. */
  static void fflushAll() { call(() -> (int) FFLUSH.invokeExact(MemorySegment.NULL), "fflush"); }

  /** Sets a process environment variable unless it is already set (setenv with overwrite = 0). */
  static void setenvIfUnset(String name, String value) { setenv(name, value, 0); }

  /** Sets a process environment variable, replacing any value. */
  static void setenvOverwrite(String name, String value) { setenv(name, value, 1); }

  private static void setenv(String name, String value, int overwrite) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment n = a.allocateFrom(name);
      MemorySegment v = a.allocateFrom(value);
      call(() -> (int) SETENV.invokeExact(n, v, overwrite), "setenv");
    }
  }

  @FunctionalInterface
  private interface IntCall { int call() throws Throwable; }

  private static int call(IntCall c, String what) {
    try {
      return c.call();
    } catch (Error | RuntimeException e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("libc " + what + " failed", t);
    }
  }
}
