package org.xla4j.runtime.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.exceptions.TFFailedPreconditionException;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFOutOfRangeException;
import org.tensorflow.exceptions.TFPermissionDeniedException;
import org.tensorflow.exceptions.TFResourceExhaustedException;
import org.tensorflow.exceptions.TFUnauthenticatedException;
import org.tensorflow.exceptions.TFUnimplementedException;
import org.xla4j.runtime.XlaException.Code;

/**
 * Turns TensorFlow's exceptions and the native stderr text captured around a compile into our error
 * codes and a short diagnostic: the MLIR {@code error:} lines (with the module line they point at),
 * then TensorFlow's own message without its graph-node noise.
 */
final class TfErrors {
  private TfErrors() {}

  // loc("-":3:10): error: ...   — the module is parsed from a buffer TF names "-"
  private static final Pattern LOC = Pattern.compile("loc\\(\"[^\"]*\":(\\d+):(\\d+)\\)");

  /**
   * Whether TensorFlow threw {@code e}. Not a single supertype: TF's invalid-argument and
   * unimplemented exceptions extend IllegalArgumentException and UnsupportedOperationException.
   */
  static boolean isTensorFlow(RuntimeException e) {
    return e.getClass().getPackageName().equals("org.tensorflow.exceptions");
  }

  static Code codeOf(RuntimeException e) {
    if (e instanceof TFInvalidArgumentException) return Code.INVALID_ARGUMENT;
    if (e instanceof TFUnimplementedException) return Code.UNIMPLEMENTED;
    if (e instanceof TFOutOfRangeException) return Code.OUT_OF_RANGE;
    if (e instanceof TFResourceExhaustedException) return Code.RESOURCE_EXHAUSTED;
    if (e instanceof TFFailedPreconditionException) return Code.FAILED_PRECONDITION;
    if (e instanceof TFPermissionDeniedException) return Code.PERMISSION_DENIED;
    if (e instanceof TFUnauthenticatedException) return Code.UNAUTHENTICATED;
    return Code.INTERNAL;
  }

  /** TensorFlow's message without the {@code [[{{node call}}]]} lines that name our own graph. */
  static String messageOf(RuntimeException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    List<String> keep = new ArrayList<>();
    for (String line : m.split("\n")) {
      String s = line.strip();
      if (!s.isEmpty() && !s.startsWith("[[")) keep.add(s);
    }
    return String.join("\n", keep);
  }

  /** The relevant lines of captured stderr plus TensorFlow's message, for a CompileException. */
  static String compileDiagnostic(String captured, RuntimeException e, String moduleText) {
    String[] source = moduleText.split("\n", -1);
    List<String> out = new ArrayList<>();
    for (String line : captured.split("\n")) {
      if (!line.contains("error:") && !line.contains("note:") && !line.startsWith("loc(")) continue;
      out.add(line.strip());
      Matcher m = LOC.matcher(line);
      if (m.find()) {
        int n = Integer.parseInt(m.group(1));
        if (n >= 1 && n <= source.length) out.add("  line " + n + ": " + source[n - 1].strip());
      }
    }
    out.add("TensorFlow: " + messageOf(e));
    return String.join("\n", out);
  }
}
