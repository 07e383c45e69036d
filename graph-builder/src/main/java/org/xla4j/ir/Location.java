package org.xla4j.ir;

/**
 * Where an op was built: the user's call site plus the name-scope path active at that time.
 *
 * @param scope name-scope path such as {@code layer3/attn}, empty when none
 * @param file source file of the first frame outside the library, or {@code "unknown"}
 * @param line line number, 0 when unknown (left out of messages)
 * @param method {@code Class.method} of that frame
 */
public record Location(String scope, String file, int line, String method) {
  public static final Location UNKNOWN = new Location("", "unknown", 0, "");

  /** Whether any part of the call site is known (file, line or method). */
  public boolean isKnown() {
    return !file.equals("unknown") || line > 0 || !method.isEmpty();
  }

  /**
   * Short form for error messages: {@code MyModel.forward(MyModel.java:42)}; parts that are not known are
   * left out ({@code MyModel.forward(MyModel.java)}, {@code MyModel.forward(unknown source)}).
   */
  public String callSite() {
    String where = (file.equals("unknown") ? (method.isEmpty() ? "unknown" : "unknown source") : file)
        + (line > 0 ? ":" + line : "");
    return method.isEmpty() ? where : method + "(" + where + ")";
  }

  @Override
  public String toString() {
    if (!isKnown()) return scope.isEmpty() ? "" : "in scope " + scope;
    return (scope.isEmpty() ? "" : scope + " ") + "at " + callSite();
  }
}
