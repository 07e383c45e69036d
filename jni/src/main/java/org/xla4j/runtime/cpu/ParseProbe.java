package org.xla4j.runtime.cpu;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A copy of a module whose {@code @main} does nothing, for checking at compile time, without running
 * the program, that TensorFlow parses and verifies the module. TF 2.18 parses an XlaCallModule's text
 * only when the node first runs (building the node does not), and that run also executes the program:
 * a loop that never ends on zeros never returned from compile. Running the probe makes TF parse and
 * verify every function of the module (the user's {@code @main} renamed and left uncalled) and
 * compile only an empty entry function.
 */
final class ParseProbe {
  private ParseProbe() {}

  static final String RENAMED = "xla4j_probe_unused_main";
  private static final Pattern PRETTY_MAIN = Pattern.compile("func\\.func\\s+(?:public\\s+)?@main\\s*\\(");
  private static final Pattern GENERIC_MAIN = Pattern.compile("sym_name\\s*=\\s*\"main\"");
  // one line, inserted before the user's main on its line: MLIR's line numbers stay the user's
  private static final String EMPTY_MAIN =
      "\"func.func\"() <{function_type = () -> (), sym_name = \"main\"}> ({ \"func.return\"() : () -> () }) : () -> () ";

  /** The probe text, or null when {@code @main} cannot be found (then the first run checks instead). */
  static String of(String moduleText) {
    Matcher p = PRETTY_MAIN.matcher(moduleText);
    if (p.find()) {
      return moduleText.substring(0, p.start()) + EMPTY_MAIN + "func.func private @" + RENAMED + "("
          + moduleText.substring(p.end());
    }
    Matcher g = GENERIC_MAIN.matcher(moduleText);
    if (g.find()) {
      int func = moduleText.lastIndexOf("\"func.func\"", g.start());
      if (func < 0) return null;
      return moduleText.substring(0, func) + EMPTY_MAIN + moduleText.substring(func, g.start())
          + "sym_name = \"" + RENAMED + "\"" + moduleText.substring(g.end());
    }
    return null;
  }
}
