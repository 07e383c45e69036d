package org.xla4j.dsl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xla4j.ir.Op;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/** Shape ops of the DSL: NumPy-style axes, inferred -1 dimensions, and checks that name the DSL op. */
final class ShapeOps {
  private ShapeOps() {}

  static Tensor reshape(Tensor x, long... dims) {
    long[] d = dims.clone();
    int infer = -1;
    long known = 1;
    for (int i = 0; i < d.length; i++) {
      if (d[i] == -1) {
        if (infer >= 0) throw x.graph().error("reshape", "requires at most one -1, got " + Arrays.toString(dims));
        infer = i;
      } else if (d[i] < 0) {
        throw x.graph().error("reshape", "requires dimensions >= 0 or -1, got " + Arrays.toString(dims));
      } else {
        known *= d[i];
      }
    }
    long n = x.type().numElements();
    if (infer >= 0) {
      if (known == 0 || n % known != 0) {
        throw x.graph().error("reshape", "requires " + x.shape() + " (" + n + " elements) to fit "
            + Arrays.toString(dims) + ", got a remainder");
      }
      d[infer] = n / known;
    }
    Shape s = Shape.of(d);
    if (s.numElements() != n) {
      throw x.graph().error("reshape", "requires the same number of elements, got " + x.shape() + " (" + n + ") and "
          + s + " (" + s.numElements() + ")");
    }
    if (s.equals(x.shape())) return x;
    return x.graph().emit1(new Op.Reshape(x.value(), s));
  }

  static Tensor transpose(Tensor x, int... perm) {
    if (perm.length != x.rank()) {
      throw x.graph().error("transpose", "requires a permutation of " + x.rank() + " axes for shape " + x.shape()
          + ", got " + Arrays.toString(perm));
    }
    List<Integer> p = new ArrayList<>();
    boolean identity = true;
    for (int i = 0; i < perm.length; i++) {
      int a = Axes.axis("transpose", x, perm[i]);
      if (p.contains(a)) {
        throw x.graph().error("transpose", "requires a permutation, got " + Arrays.toString(perm));
      }
      identity &= a == i;
      p.add(a);
    }
    return identity ? x : x.graph().emit1(new Op.Transpose(x.value(), p));
  }

  static Tensor swapaxes(Tensor x, int a, int b) {
    int[] perm = Axes.range(x.rank());
    int i = Axes.axis("swapaxes", x, a);
    int j = Axes.axis("swapaxes", x, b);
    perm[i] = j;
    perm[j] = i;
    return transpose(x, perm);
  }

  static Tensor expandDims(Tensor x, int axis) {
    int a = Axes.axis("expandDims", axis, x.rank() + 1, x.shape(), x.graph());
    long[] d = new long[x.rank() + 1];
    for (int i = 0, j = 0; i < d.length; i++) d[i] = i == a ? 1 : x.shape().dim(j++);
    return x.graph().emit1(new Op.Reshape(x.value(), Shape.of(d)));
  }

  static Tensor squeeze(Tensor x, int... axes) {
    int[] drop;
    if (axes.length == 0) {
      drop = Arrays.stream(Axes.range(x.rank())).filter(i -> x.shape().dim(i) == 1).toArray();
    } else {
      drop = Axes.axes("squeeze", x, axes);
      for (int a : drop) {
        if (x.shape().dim(a) != 1) {
          throw x.graph().error("squeeze", "requires size-1 axes, got axis " + a + " of size " + x.shape().dim(a)
              + " in shape " + x.shape());
        }
      }
    }
    if (drop.length == 0) return x;
    return x.graph().emit1(new Op.Reshape(x.value(), x.shape().without(drop)));
  }

  static Tensor slice(Tensor x, int axis, long start, long end) {
    int a = Axes.axis("slice", x, axis);
    long n = x.shape().dim(a);
    long s = start < 0 ? start + n : start;
    long e = end < 0 ? end + n : end;
    if (s < 0 || e > n || s > e) {
      throw x.graph().error("slice", "requires 0 <= start <= end <= " + n + " on axis " + axis + " of shape "
          + x.shape() + " (negatives count from the end), got start=" + start + " end=" + end);
    }
    long[] st = new long[x.rank()];
    long[] li = x.shape().dims();
    st[a] = s;
    li[a] = e;
    return slice(x, st, li, null);
  }

  static Tensor slice(Tensor x, long[] start, long[] limit, long[] strides) {
    long[] str = strides;
    if (str == null) {
      str = new long[x.rank()];
      Arrays.fill(str, 1);
    }
    return x.graph().emit1(new Op.Slice(x.value(), boxed(start), boxed(limit), boxed(str)));
  }

  static Tensor dynamicSlice(Tensor x, List<Tensor> starts, long... sizes) {
    if (starts.size() != x.rank() || sizes.length != x.rank()) {
      throw x.graph().error("dynamicSlice", "requires " + x.rank() + " start indices and sizes for shape "
          + x.shape() + ", got " + starts.size() + " and " + sizes.length);
    }
    return x.graph().emit1(new Op.DynamicSlice(x.value(), indices("dynamicSlice", x, starts), boxed(sizes)));
  }

  /** Slices {@code size} elements from {@code start} along one axis, whole extent elsewhere. */
  static Tensor dynamicSlice(Tensor x, int axis, Tensor start, long size) {
    int a = Axes.axis("dynamicSlice", x, axis);
    List<Tensor> starts = new ArrayList<>();
    Tensor zero = x.graph().scalar(0L, start.dtype().isInteger() ? start.dtype() : DType.I32);
    for (int i = 0; i < x.rank(); i++) starts.add(i == a ? start : zero);
    return dynamicSlice(x, starts, x.shape().with(a, size).dims());
  }

  static Tensor dynamicUpdateSlice(Tensor x, Tensor update, List<Tensor> starts) {
    Graph.of("dynamicUpdateSlice", x, update);
    if (starts.size() != x.rank()) {
      throw x.graph().error("dynamicUpdateSlice", "requires " + x.rank() + " start indices for shape " + x.shape()
          + ", got " + starts.size());
    }
    return x.graph().emit1(new Op.DynamicUpdateSlice(x.value(), update.astype(x.dtype()).value(),
        indices("dynamicUpdateSlice", x, starts)));
  }

  /** Start indices as scalars of one integer type (i32 unless they already agree). */
  private static List<org.xla4j.ir.Value> indices(String op, Tensor x, List<Tensor> starts) {
    DType common = starts.isEmpty() ? DType.I32 : starts.get(0).dtype();
    for (Tensor s : starts) {
      Graph.of(op, x, s);
      if (s.rank() != 0 || !(s.dtype().isInteger())) {
        throw x.graph().error(op, "requires scalar integer start indices, got " + s.type());
      }
      if (s.dtype() != common) common = DType.I32;
    }
    DType c = common;
    return starts.stream().map(s -> s.astype(c).value()).toList();
  }

  static Tensor pad(Tensor x, long[] low, long[] high, long[] interior, double value) {
    if (interior == null) interior = new long[x.rank()];
    Tensor pv = x.graph().full(org.xla4j.types.TensorType.scalar(x.dtype()), value);
    return x.graph().emit1(new Op.Pad(x.value(), pv.value(), boxed(low), boxed(high), boxed(interior)));
  }

  static Tensor reverse(Tensor x, int... axes) {
    int[] a = Axes.axes("reverse", x, axes);
    return x.graph().emit1(new Op.Reverse(x.value(), Arrays.stream(a).boxed().toList()));
  }

  static List<Tensor> split(Tensor x, int axis, long... sizes) {
    int a = Axes.axis("split", x, axis);
    long total = Arrays.stream(sizes).sum();
    if (total != x.shape().dim(a) || Arrays.stream(sizes).anyMatch(s -> s < 0)) {
      throw x.graph().error("split", "requires non-negative sizes summing to " + x.shape().dim(a) + " (axis " + axis
          + " of " + x.shape() + "), got " + Arrays.toString(sizes));
    }
    List<Tensor> out = new ArrayList<>();
    long at = 0;
    for (long s : sizes) {
      out.add(slice(x, a, at, at + s));
      at += s;
    }
    return out;
  }

  static List<Tensor> chunk(Tensor x, int n, int axis) {
    int a = Axes.axis("chunk", x, axis);
    long d = x.shape().dim(a);
    if (n <= 0 || d % n != 0) {
      throw x.graph().error("chunk", "requires a chunk count dividing " + d + " (axis " + axis + " of " + x.shape()
          + "), got " + n);
    }
    long[] sizes = new long[n];
    Arrays.fill(sizes, d / n);
    return split(x, a, sizes);
  }

  static Tensor concat(int axis, List<Tensor> xs) {
    if (xs.isEmpty()) throw new org.xla4j.ir.OpException("concat", "requires at least one tensor", org.xla4j.ir.CallSite.find(""));
    Graph g = Graph.of("concat", xs.toArray(Tensor[]::new));
    DType d = xs.get(0).dtype();
    try {
      for (Tensor t : xs) d = Promotion.result(d, t.dtype());
    } catch (IllegalArgumentException e) {
      throw g.error("concat", e.getMessage());
    }
    int a = Axes.axis("concat", xs.get(0), axis);
    for (Tensor t : xs) {
      if (t.rank() != xs.get(0).rank() || !t.shape().with(a, 0).equals(xs.get(0).shape().with(a, 0))) {
        throw g.error("concat", "requires shapes that agree except on axis " + axis + ", got "
            + xs.stream().map(Tensor::shape).toList());
      }
    }
    if (xs.size() == 1) return xs.get(0).astype(d);
    DType c = d;
    return g.emit1(new Op.Concatenate(xs.stream().map(t -> t.astype(c).value()).toList(), a));
  }

  static Tensor stack(int axis, List<Tensor> xs) {
    if (xs.isEmpty()) throw new org.xla4j.ir.OpException("stack", "requires at least one tensor", org.xla4j.ir.CallSite.find(""));
    int a = Axes.axis("stack", axis, xs.get(0).rank() + 1, xs.get(0).shape(), xs.get(0).graph());
    return concat(a, xs.stream().map(t -> expandDims(t, a)).toList());
  }

  static List<Long> boxed(long[] a) { return Arrays.stream(a).boxed().toList(); }
}
