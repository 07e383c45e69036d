package org.xla4j.dsl;

import java.util.ArrayList;
import java.util.List;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.Precision;
import org.xla4j.types.DType;

/**
 * {@code einsum} for one or two operands with an explicit or implicit output, lowered to at most one
 * {@code dot_general} plus reductions and one final transpose. Letters in both operands and the
 * output are batch dimensions; in both operands only, contracted; in one operand only and not in
 * the output, summed first. Not supported (clear error): ellipsis, a letter repeated within one
 * operand (traces/diagonals), more than two operands.
 */
final class Einsum {
  private Einsum() {}

  static Tensor einsum(String spec, DType preferred, Tensor... xs) {
    return einsum(spec, preferred, Precision.DEFAULT, xs);
  }

  static Tensor einsum(String spec, DType preferred, Precision precision, Tensor... xs) {
    if (xs.length == 0) {
      throw new org.xla4j.ir.OpException("einsum", "requires one or two operands, got none",
          org.xla4j.ir.CallSite.find(""));
    }
    Graph g = Graph.of("einsum", xs);
    String s = spec.replace(" ", "");
    if (s.contains(".")) throw g.error("einsum", "requires no ellipsis ('...'), got '" + spec + "'");
    String lhs = s.contains("->") ? s.substring(0, s.indexOf("->")) : s;
    String[] terms = lhs.split(",", -1);
    if (terms.length != xs.length || xs.length > 2) {
      throw g.error("einsum", "requires one or two operands matching the spec's terms, got '" + spec + "' with "
          + xs.length + " operand(s)");
    }
    for (int i = 0; i < terms.length; i++) {
      String t = terms[i];
      if (!t.chars().allMatch(Character::isLetter)) {
        throw g.error("einsum", "requires letters only in each term, got '" + t + "' in '" + spec + "'");
      }
      if (t.length() != xs[i].rank()) {
        throw g.error("einsum", "requires term '" + t + "' to have one letter per axis of operand " + i + " "
            + xs[i].shape() + ", got '" + spec + "'");
      }
      if (t.chars().distinct().count() != t.length()) {
        throw g.error("einsum", "requires distinct letters within one operand (no traces or diagonals), got '" + t
            + "' in '" + spec + "'");
      }
    }
    String all = String.join("", terms);
    String out;
    if (s.contains("->")) {
      out = s.substring(s.indexOf("->") + 2);
      if (!out.chars().allMatch(Character::isLetter) || out.chars().distinct().count() != out.length()) {
        throw g.error("einsum", "requires distinct letters in the output, got '" + out + "' in '" + spec + "'");
      }
      for (char c : out.toCharArray()) {
        if (all.indexOf(c) < 0) {
          throw g.error("einsum", "requires output letter '" + c + "' to appear in an operand, got '" + spec + "'");
        }
      }
    } else {
      // NumPy's implicit output: letters that appear once, in alphabetical order
      StringBuilder sb = new StringBuilder();
      all.chars().filter(c -> all.indexOf(c) == all.lastIndexOf(c)).sorted().forEach(c -> sb.append((char) c));
      out = sb.toString();
    }
    if (terms.length == 2) {
      for (char c : terms[0].toCharArray()) {
        int j = terms[1].indexOf(c);
        if (j >= 0 && xs[0].shape().dim(terms[0].indexOf(c)) != xs[1].shape().dim(j)) {
          throw g.error("einsum", "requires equal sizes for '" + c + "', got " + xs[0].shape() + " and "
              + xs[1].shape() + " for '" + spec + "'");
        }
      }
    }
    if (terms.length == 1) {
      Tensor r = finish(sumOnly(xs[0], terms[0], out, ""), out);
      return preferred == null ? r : r.astype(preferred);
    }
    Term a = sumOnly(xs[0], terms[0], out, terms[1]);
    Term b = sumOnly(xs[1], terms[1], out, terms[0]);
    List<Integer> ab = new ArrayList<>();
    List<Integer> bb = new ArrayList<>();
    List<Integer> ac = new ArrayList<>();
    List<Integer> bc = new ArrayList<>();
    StringBuilder result = new StringBuilder();
    for (char c : a.letters.toCharArray()) {
      int j = b.letters.indexOf(c);
      if (j < 0) continue;
      if (out.indexOf(c) >= 0) {
        ab.add(a.letters.indexOf(c));
        bb.add(j);
        result.append(c);
      } else {
        ac.add(a.letters.indexOf(c));
        bc.add(j);
      }
    }
    for (char c : a.letters.toCharArray()) if (b.letters.indexOf(c) < 0) result.append(c);
    for (char c : b.letters.toCharArray()) if (a.letters.indexOf(c) < 0) result.append(c);
    Tensor r = LinAlg.dotGeneral(a.x, b.x, new DotDims(ab, bb, ac, bc), precision, preferred);
    return finish(new Term(r, result.toString()), out);
  }

  /** A tensor with one letter per axis. */
  private record Term(Tensor x, String letters) {}

  /** Sums away letters that appear neither in the output nor in the other operand. */
  private static Term sumOnly(Tensor x, String letters, String out, String other) {
    List<Integer> drop = new ArrayList<>();
    StringBuilder keep = new StringBuilder();
    for (int i = 0; i < letters.length(); i++) {
      char c = letters.charAt(i);
      if (out.indexOf(c) < 0 && other.indexOf(c) < 0) drop.add(i);
      else keep.append(c);
    }
    if (drop.isEmpty()) return new Term(x, letters);
    return new Term(x.sum(drop.stream().mapToInt(Integer::intValue).toArray()), keep.toString());
  }

  private static Tensor finish(Term t, String out) {
    int[] perm = new int[out.length()];
    for (int i = 0; i < perm.length; i++) perm[i] = t.letters.indexOf(out.charAt(i));
    return t.x.transpose(perm);
  }
}
