package org.xla4j.dsl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.BinaryOperator;
import org.xla4j.ir.Block;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Literal;
import org.xla4j.ir.Op;
import org.xla4j.ir.ReduceKind;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Reductions over axes (negative axes count from the end; no axes means all), as jnp computes them:
 * sums and products of pred/i8/i16 accumulate in i32 and of u8/u16 in u32; sums and products of
 * bf16/f16 accumulate in f32 and are cast back; {@code mean} of integers is f32. softmax,
 * logSoftmax and logsumexp compute in f32 for bf16/f16 inputs and cast back.
 */
final class Reductions {
  private Reductions() {}

  static Tensor sum(Tensor x, int[] axes, boolean keepDims) {
    return accumulate("sum", x, axes, keepDims, BinaryKind.ADD, 0);
  }

  static Tensor prod(Tensor x, int[] axes, boolean keepDims) {
    return accumulate("prod", x, axes, keepDims, BinaryKind.MULTIPLY, 1);
  }

  static Tensor mean(Tensor x, int[] axes, boolean keepDims) {
    int[] a = Axes.axes("mean", x, axes);
    long n = 1;
    for (int i : a) n *= x.shape().dim(i);
    Tensor f = x.astype(Promotion.toFloat(x.dtype()));
    return sum(f, a, keepDims).div((double) n);
  }

  static Tensor max(Tensor x, int[] axes, boolean keepDims) {
    return simple("max", x, axes, keepDims, BinaryKind.MAXIMUM, Limits.lowest(x.dtype()));
  }

  static Tensor min(Tensor x, int[] axes, boolean keepDims) {
    return simple("min", x, axes, keepDims, BinaryKind.MINIMUM, Limits.highest(x.dtype()));
  }

  private static Tensor accumulate(String op, Tensor x, int[] axes, boolean keepDims, BinaryKind kind, double init) {
    DType acc = accumulator(x.dtype());
    Tensor r = simple(op, x.astype(acc), axes, keepDims, kind, Literal.splat(TensorType.scalar(acc), init));
    // half floats go back to their own type; integers keep the widened type, as jnp does
    return x.dtype().isFloat() ? r.astype(x.dtype()) : r;
  }

  private static DType accumulator(DType d) {
    return switch (d) {
      case PRED, I8, I16 -> DType.I32;
      case U8, U16 -> DType.U32;
      case BF16, F16 -> DType.F32;
      default -> d;
    };
  }

  private static Tensor simple(String op, Tensor x, int[] axes, boolean keepDims, BinaryKind kind, Literal init) {
    int[] a = Axes.axes(op, x, axes);
    Graph g = x.graph();
    Tensor i = g.constant(init);
    TensorType s = TensorType.scalar(x.dtype());
    Block body = g.fb().region(List.of(s, s), true,
        args -> List.of(g.fb().emit1(new Op.Binary(kind, args.get(0), args.get(1)))));
    Tensor r = g.emit1(new Op.Reduce(List.of(x.value()), List.of(i.value()), box(a), body, switch (kind) {
      case ADD -> ReduceKind.SUM;
      case MULTIPLY -> ReduceKind.PRODUCT;
      case MAXIMUM -> ReduceKind.MAX;
      case MINIMUM -> ReduceKind.MIN;
      default -> ReduceKind.CUSTOM;
    }));
    return keepDims ? keep(r, x.shape(), a) : r;
  }

  /** {@code x.reduce(init, axes, (a, b) -> ...)}: the lambda combines two scalars of x's type. */
  static Tensor reduce(Tensor x, Tensor init, int[] axes, boolean keepDims, BinaryOperator<Tensor> fn) {
    Graph g = Graph.of("reduce", x, init);
    List<Tensor> r = reduce(List.of(x), List.of(init.astype(x.dtype())), axes,
        (a, b) -> List.of(fn.apply(a.get(0), b.get(0))));
    Tensor out = r.get(0);
    return keepDims ? keep(out, x.shape(), Axes.axes("reduce", x, axes)) : out;
  }

  /**
   * Multi-operand {@code stablehlo.reduce}: {@code fn} gets the accumulated scalars and the next
   * scalars, one per input, and returns the new accumulated scalars.
   */
  static List<Tensor> reduce(List<Tensor> inputs, List<Tensor> inits, int[] axes,
      BiFunction<List<Tensor>, List<Tensor>, List<Tensor>> fn) {
    Tensor first = inputs.get(0);
    Graph g = Graph.of("reduce", concat(inputs, inits));
    int[] a = Axes.axes("reduce", first, axes);
    List<TensorType> scalars = new ArrayList<>();
    for (Tensor t : inits) scalars.add(t.type());
    List<TensorType> args = new ArrayList<>(scalars);
    args.addAll(scalars);
    int n = inputs.size();
    Block body = g.fb().region(args, true, vs -> {
      List<Tensor> ts = vs.stream().map(g::wrap).toList();
      return g.values("reduce", fn.apply(ts.subList(0, n), ts.subList(n, 2 * n)));
    });
    return g.emit(new Op.Reduce(g.values("reduce", inputs), g.values("reduce", inits), box(a), body));
  }

  /**
   * argmax/argmin as one reduce over (value, index) pairs, like jnp: ties go to the lowest index and a
   * NaN wins (its first occurrence is reported). Indices are i32.
   */
  static Tensor argExtreme(String op, Tensor x, int axis, boolean keepDims, boolean max) {
    int a = Axes.axis(op, x, axis);
    Graph g = x.graph();
    Tensor idx = g.iota(new TensorType(DType.I32, x.shape()), a);
    Tensor initV = g.constant(max ? Limits.lowest(x.dtype()) : Limits.highest(x.dtype()));
    Tensor initI = g.scalar(0L, DType.I32);
    boolean isFloat = x.dtype().isFloat();
    List<Tensor> r = reduce(List.of(x, idx), List.of(initV, initI), new int[] {a}, (acc, nxt) -> {
      Tensor xv = acc.get(0);
      Tensor xi = acc.get(1);
      Tensor yv = nxt.get(0);
      Tensor yi = nxt.get(1);
      Tensor pickVal = max ? xv.gt(yv) : xv.lt(yv);
      if (isFloat) pickVal = pickVal.or(xv.ne(xv));
      Tensor pickIdx = pickVal.or(xv.eq(yv).and(xi.lt(yi)));
      return List.of(Jnp.where(pickVal, xv, yv), Jnp.where(pickIdx, xi, yi));
    });
    Tensor out = r.get(1);
    return keepDims ? keep(out, x.shape(), new int[] {a}) : out;
  }

  /** {@code log(sum(exp(x)))} with the max subtracted first; an all -inf slice gives -inf, not NaN. */
  static Tensor logsumexp(Tensor x, int[] axes, boolean keepDims) {
    DType orig = Promotion.toFloat(x.dtype());
    Tensor f = x.astype(computeType(orig));
    int[] a = Axes.axes("logsumexp", f, axes);
    Tensor m = max(f, a, true);
    Tensor safe = Jnp.where(m.isFinite(), m, f.graph().zeros(m.type()));
    Tensor out = sum(f.sub(safe).exp(), a, true).log().add(safe);
    if (!keepDims) out = out.squeeze(a);
    return out.astype(orig);
  }

  static Tensor softmax(Tensor x, int axis) {
    DType orig = Promotion.toFloat(x.dtype());
    Tensor f = x.astype(computeType(orig));
    int[] a = {Axes.axis("softmax", f, axis)};
    Tensor e = f.sub(max(f, a, true)).exp();
    return e.div(sum(e, a, true)).astype(orig);
  }

  static Tensor logSoftmax(Tensor x, int axis) {
    DType orig = Promotion.toFloat(x.dtype());
    Tensor f = x.astype(computeType(orig));
    int[] a = {Axes.axis("logSoftmax", f, axis)};
    Tensor shifted = f.sub(max(f, a, true));
    return shifted.sub(sum(shifted.exp(), a, true).log()).astype(orig);
  }

  /** Half-precision floats compute in f32; the rest in their own type. */
  private static DType computeType(DType d) {
    return d == DType.BF16 || d == DType.F16 ? DType.F32 : d;
  }

  /** Puts size-1 dimensions back where {@code axes} were reduced. */
  static Tensor keep(Tensor r, Shape before, int[] axes) {
    long[] d = before.dims();
    for (int a : axes) d[a] = 1;
    return r.reshape(d);
  }

  private static List<Integer> box(int[] a) { return Arrays.stream(a).boxed().toList(); }

  private static Tensor[] concat(List<Tensor> a, List<Tensor> b) {
    List<Tensor> all = new ArrayList<>(a);
    all.addAll(b);
    return all.toArray(Tensor[]::new);
  }

}
