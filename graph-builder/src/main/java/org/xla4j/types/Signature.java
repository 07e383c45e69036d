package org.xla4j.types;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The argument and result types of a program's entry function.
 *
 * <pre>{@code
 * Signature sig = Signature.parseMain(moduleText);
 * sig.args().get(0);      // tensor<2x3xf32>
 * }</pre>
 */
public record Signature(List<TensorType> args, List<TensorType> results) {
  public Signature {
    args = List.copyOf(args);
    results = List.copyOf(results);
  }

  private static final Pattern MAIN = Pattern.compile("func\\.func\\s+(?:public\\s+)?@main\\s*\\(");
  private static final Pattern GENERIC_FUNC = Pattern.compile("\"func\\.func\"\\(\\)\\s*<\\{");
  private static final Pattern TENSOR = Pattern.compile("tensor<[^<>]*>");

  /**
   * Reads the signature of {@code @main} from StableHLO text (pretty or generic form, with or without
   * argument attributes). Only ranked, statically shaped tensors are supported.
   */
  public static Signature parseMain(String moduleText) {
    int open = mainArgListStart(moduleText);
    int close = matching(moduleText, open, '(', ')');
    List<TensorType> args = types(topLevelTypes(moduleText.substring(open + 1, close)));
    // results: after "->", either "(t1 {attrs}, t2)" or a single type, up to the body's '{'
    int i = close + 1;
    while (Character.isWhitespace(moduleText.charAt(i))) i++;
    List<TensorType> results;
    if (moduleText.startsWith("->", i)) {
      i += 2;
      while (Character.isWhitespace(moduleText.charAt(i))) i++;
      if (moduleText.charAt(i) == '(') {
        int rc = matching(moduleText, i, '(', ')');
        results = types(topLevelTypes(moduleText.substring(i + 1, rc)));
      } else {
        Matcher t = TENSOR.matcher(moduleText);
        if (!t.find(i) || t.start() != i) {
          throw new IllegalArgumentException("cannot read @main's result type near: "
              + moduleText.substring(i, Math.min(moduleText.length(), i + 40)));
        }
        results = List.of(TensorType.parse(t.group()));
      }
    } else {
      results = List.of();
    }
    return new Signature(args, results);
  }

  /** Index of the '(' opening @main's argument types, in the pretty or the generic op form. */
  private static int mainArgListStart(String text) {
    Matcher m = MAIN.matcher(text);
    if (m.find()) return m.end() - 1;
    Matcher g = GENERIC_FUNC.matcher(text);
    while (g.find()) {
      int next = text.indexOf("\"func.func\"()", g.end());
      String props = text.substring(g.end(), next < 0 ? text.length() : next);
      if (props.contains("sym_name = \"main\"")) {
        int ft = props.indexOf("function_type = (");
        if (ft >= 0) return g.end() + ft + "function_type = ".length();
      }
    }
    throw new IllegalArgumentException("module has no 'func.func @main': cannot read its signature");
  }

  /** Splits a parameter list at top-level commas and keeps the first tensor type of each entry. */
  private static List<String> topLevelTypes(String list) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i <= list.length(); i++) {
      char c = i < list.length() ? list.charAt(i) : ',';
      if (c == '(' || c == '{' || c == '[' || c == '<') depth++;
      else if (c == ')' || c == '}' || c == ']' || c == '>') depth--;
      else if (c == '"') {
        i = list.indexOf('"', i + 1);
        if (i < 0) break;
      } else if (c == ',' && depth == 0) {
        String part = list.substring(start, i).strip();
        if (!part.isEmpty()) out.add(part);
        start = i + 1;
      }
    }
    return out;
  }

  private static List<TensorType> types(List<String> entries) {
    List<TensorType> r = new ArrayList<>();
    for (String e : entries) {
      Matcher t = TENSOR.matcher(e);
      if (!t.find()) throw new IllegalArgumentException("unsupported parameter type (not a tensor): " + e);
      r.add(TensorType.parse(t.group()));
    }
    return r;
  }

  private static int matching(String s, int open, char o, char c) {
    int depth = 0;
    for (int i = open; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '"') {
        i = s.indexOf('"', i + 1);
        if (i < 0) break;
      } else if (ch == o) depth++;
      else if (ch == c && --depth == 0) return i;
    }
    throw new IllegalArgumentException("unbalanced '" + o + "' in module text");
  }
}
