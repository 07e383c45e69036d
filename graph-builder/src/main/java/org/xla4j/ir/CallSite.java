package org.xla4j.ir;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Finds the user's call site: the first stack frame outside the library. Every {@code org.xla4j} class
 * is library code (graph-builder, runtime, layers, the CLI) except test classes and the examples, which
 * are written as a user would; other libraries built on xla4j register their packages too. When no user
 * frame exists (the CLI building a model for its user), the innermost frame of model code stands in (the
 * line of the model that built the op); with none of that either the location is unknown and messages
 * leave it out.
 */
public final class CallSite {
  private static final List<String> LIBRARY = new CopyOnWriteArrayList<>(List.of("org.xla4j."));
  /** Code under org.xla4j that reads as user code: it is what the user would write. */
  private static final List<String> USER_LIKE = List.of("org.xla4j.models.examples.");
  private static final StackWalker WALKER = StackWalker.getInstance();

  private CallSite() {}

  /** Marks a package prefix (e.g. {@code "org.xla4j.models.nn."}) as library code to skip. */
  public static void registerLibraryPackage(String prefix) {
    if (!LIBRARY.contains(prefix)) LIBRARY.add(prefix);
  }

  /** Model code: where a model's ops are built when no user frame exists (the CLI building a model). */
  private static final String MODEL_CODE = "org.xla4j.models.";
  /** Frameworks that call into the CLI: a frame of theirs is not the user's. */
  private static final List<String> LAUNCHERS = List.of("picocli.");

  /**
   * The first frame outside the library, as a location with the given name scope. When there is none, or
   * it is a launcher's (the CLI building a model for its user), the innermost frame of model code: the
   * line of Grok1, Llama, Norms, ... that built the op.
   */
  public static Location find(String scope) {
    return WALKER.walk(frames -> {
      StackWalker.StackFrame model = null;
      for (var it = frames.iterator(); it.hasNext(); ) {
        StackWalker.StackFrame f = it.next();
        String c = f.getClassName();
        if (model == null && c.startsWith(MODEL_CODE)) model = f;
        if (!isLibrary(c)) return location(scope, isLauncher(c) && model != null ? model : f);
      }
      return model != null ? location(scope, model) : new Location(scope, "unknown", 0, "");
    });
  }

  // a frame without debug information has no file name and a negative line: those parts are left out
  private static Location location(String scope, StackWalker.StackFrame f) {
    return new Location(scope, f.getFileName() == null ? "unknown" : f.getFileName(), Math.max(0, f.getLineNumber()),
        simpleName(f.getClassName()) + "." + methodName(f.getMethodName()));
  }

  private static boolean isLauncher(String className) {
    for (String p : LAUNCHERS) if (className.startsWith(p)) return true;
    return false;
  }

  private static boolean isLibrary(String className) {
    if (className.startsWith("java.") || className.startsWith("jdk.") || className.startsWith("sun.")) return true;
    for (String p : USER_LIKE) {
      if (className.startsWith(p)) return false;
    }
    for (String p : LIBRARY) {
      if (className.startsWith(p)) {
        String simple = simpleName(className);
        // test classes living in library packages are user code for this purpose
        return !(simple.endsWith("Test") || simple.endsWith("Tests") || simple.contains("Test$"));
      }
    }
    return false;
  }

  /** {@code lambda$forward$3} reads as {@code forward}: the method the user wrote. */
  private static String methodName(String m) {
    if (m.startsWith("lambda$")) {
      String rest = m.substring("lambda$".length());
      int end = rest.indexOf('$');
      return end > 0 ? rest.substring(0, end) : rest;
    }
    return m;
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }
}
