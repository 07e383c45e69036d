package org.xla4j.dsl;

import java.util.Arrays;
import java.util.TreeSet;
import org.xla4j.types.Shape;

/** Axis arguments as NumPy takes them: negative values count from the end; errors name the DSL op. */
final class Axes {
  private Axes() {}

  /** One axis in [-rank, rank), normalized to [0, rank). */
  static int axis(String op, int axis, int rank, Shape shape, Graph g) {
    int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw g.error(op, "requires an axis in [" + -rank + ", " + rank + "), got " + axis + " for shape " + shape);
    }
    return a;
  }

  static int axis(String op, Tensor x, int axis) {
    return axis(op, axis, x.rank(), x.shape(), x.graph());
  }

  /** Distinct, sorted axes; an empty list means every axis (as {@code axis=None} does). */
  static int[] axes(String op, Tensor x, int... axes) {
    if (axes.length == 0) return range(x.rank());
    TreeSet<Integer> s = new TreeSet<>();
    for (int a : axes) {
      if (!s.add(axis(op, x, a))) {
        throw x.graph().error(op, "requires distinct axes, got " + Arrays.toString(axes) + " for shape " + x.shape());
      }
    }
    return s.stream().mapToInt(Integer::intValue).toArray();
  }

  static int[] range(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) r[i] = i;
    return r;
  }

  static boolean contains(int[] axes, int a) {
    for (int x : axes) if (x == a) return true;
    return false;
  }
}
