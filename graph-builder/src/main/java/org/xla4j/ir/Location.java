package org.xla4j.ir;

/**
 * Where an op was built: the user's call site plus the name-scope path active at that time.
 *
 * @param scope name-scope path such as {@code layer3/attn}, empty when none
 * @param file source file of the first frame outside the library, or {@code "unknown"}
 * @param line line number, 0 when unknown
 * @param method {@code Class.method} of that frame
 */
public record Location(String scope, String file, int line, String method) {
  /** Short form for error messages: {@code MyModel.forward(MyModel.java:42)}. */
  public String callSite() {
    return method.isEmpty() ? file + ":" + line : method + "(" + file + ":" + line + ")";
  }

  @Override
  public String toString() {
    return (scope.isEmpty() ? "" : scope + " ") + "at " + callSite();
  }
}
