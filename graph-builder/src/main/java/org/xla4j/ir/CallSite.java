package org.xla4j.ir;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Finds the user's call site: the first stack frame outside the library's own packages. Layers built
 * on top (nn, attention) register their packages so errors point past them, at the user's code.
 */
public final class CallSite {
  private static final List<String> LIBRARY = new CopyOnWriteArrayList<>(List.of(
      "org.xla4j.ir.", "org.xla4j.dsl.", "org.xla4j.emit.", "org.xla4j.sharding.", "org.xla4j.types."));
  private static final StackWalker WALKER = StackWalker.getInstance();

  private CallSite() {}

  /** Marks a package prefix (e.g. {@code "org.xla4j.models.nn."}) as library code to skip. */
  public static void registerLibraryPackage(String prefix) {
    if (!LIBRARY.contains(prefix)) LIBRARY.add(prefix);
  }

  /** The first frame outside the library, as a location with the given name scope. */
  public static Location find(String scope) {
    return WALKER.walk(frames -> frames
        .filter(f -> !isLibrary(f.getClassName()))
        .findFirst()
        .map(f -> new Location(scope, f.getFileName() == null ? "unknown" : f.getFileName(), f.getLineNumber(),
            simpleName(f.getClassName()) + "." + methodName(f.getMethodName())))
        .orElse(new Location(scope, "unknown", 0, "")));
  }

  private static boolean isLibrary(String className) {
    if (className.startsWith("java.") || className.startsWith("jdk.")) return true;
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
