package org.xla4j.dsl;

import java.util.Arrays;
import java.util.List;
import java.util.function.BinaryOperator;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Comparison.Direction;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.Op;
import org.xla4j.ir.Precision;
import org.xla4j.ir.UnaryKind;
import org.xla4j.ir.Value;
import org.xla4j.sharding.Sharding;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * An immutable symbolic tensor of a {@link Graph}: every method adds ops and returns a new tensor.
 *
 * <p><b>Broadcasting</b> (elementwise ops, comparisons, {@link Jnp#where}) follows NumPy: shapes are
 * aligned at the last axis; each pair of sizes must be equal or include a 1; missing leading axes
 * count as 1. {@code [4, 1, 3] + [5, 1] -> [4, 5, 3]}; {@code [2, 3] + [4]} is an error naming the
 * op, both shapes and your line.
 *
 * <p><b>Dtypes</b> promote as {@link Promotion} says (pred &lt; integers &lt; floats, bf16+f16 → f32);
 * Java scalars are weak like Python's in JAX: {@code x.mul(2.0)} keeps bf16, {@code ints.add(0.5)}
 * is f32, {@code ints.add(1)} stays integer. Math functions (exp, sqrt, ...) of integers compute in f32.
 *
 * <p><b>Axes</b> may be negative (-1 is the last). Reductions with no axes reduce everything.
 *
 * <pre>{@code
 * Tensor h = x.matmul(w).add(b).maximum(0.0);            // relu(x @ w + b)
 * Tensor p = h.softmax(-1);
 * Tensor loss = p.log().mul(labels.oneHot(10, DType.F32)).sum(-1).neg().mean();
 * }</pre>
 */
public final class Tensor {
  private final Graph graph;
  private final Value value;

  Tensor(Graph graph, Value value) {
    this.graph = graph;
    this.value = value;
  }

  // ---- what it is ----

  public Graph graph() { return graph; }

  /**
   * The raw SSA value, for use with {@link Graph#raw()}. Inside a differentiated scan's step a value the
   * step closes over reads as the scan's explicit constant (see {@link LoopTracing}).
   */
  public Value value() { return LoopTracing.resolve(value); }

  public TensorType type() { return value.type(); }

  public DType dtype() { return value.type().dtype(); }

  public Shape shape() { return value.type().shape(); }

  public int rank() { return value.type().rank(); }

  /** Size of {@code axis}; -1 is the last axis. */
  public long dim(int axis) { return shape().dim(Axes.axis("dim", this, axis)); }

  /** Number of elements. */
  public long size() { return value.type().numElements(); }

  @Override
  public String toString() { return "Tensor(" + type() + ")"; }

  // ---- arithmetic (promoting, broadcasting) ----

  public Tensor add(Tensor o) { return Elementwise.binary("add", BinaryKind.ADD, this, o); }

  public Tensor add(double v) { return add(weak(v)); }

  public Tensor add(long v) { return add(weak("add", v)); }

  public Tensor sub(Tensor o) { return Elementwise.binary("sub", BinaryKind.SUBTRACT, this, o); }

  public Tensor sub(double v) { return sub(weak(v)); }

  public Tensor sub(long v) { return sub(weak("sub", v)); }

  /** {@code v - this}: {@code p.rsub(1.0)} is {@code 1 - p}. */
  public Tensor rsub(double v) { return weak(v).sub(this); }

  public Tensor mul(Tensor o) { return Elementwise.binary("mul", BinaryKind.MULTIPLY, this, o); }

  public Tensor mul(double v) { return mul(weak(v)); }

  public Tensor mul(long v) { return mul(weak("mul", v)); }

  /** True division ({@code jnp.divide}): pred and integer operands are divided as f32. */
  public Tensor div(Tensor o) {
    Tensor[] x = Elementwise.align("div", this, o);
    DType f = Promotion.toFloat(x[0].dtype());
    return Elementwise.emit(BinaryKind.DIVIDE, x[0].astype(f), x[1].astype(f));
  }

  public Tensor div(double v) { return div(weak(v)); }

  public Tensor div(long v) { return div(weak("div", v)); }

  /** {@code v / this}: {@code x.rdiv(1.0)} is the reciprocal. */
  public Tensor rdiv(double v) { return weak(v).div(this); }

  /** Integer division truncating toward zero ({@code lax.div}); requires integer operands. */
  public Tensor intDiv(Tensor o) {
    Tensor[] x = Elementwise.align("intDiv", this, o);
    if (!x[0].dtype().isInteger()) throw graph.error("intDiv", "requires integer operands, got " + x[0].type());
    return Elementwise.emit(BinaryKind.DIVIDE, x[0], x[1]);
  }

  public Tensor intDiv(long v) { return intDiv(weak("intDiv", v)); }

  /** Remainder with the dividend's sign ({@code lax.rem}, C's fmod). See {@link #mod} for Python's. */
  public Tensor rem(Tensor o) { return Elementwise.binary("rem", BinaryKind.REMAINDER, this, o); }

  public Tensor rem(double v) { return rem(weak(v)); }

  public Tensor rem(long v) { return rem(weak("rem", v)); }

  /** Remainder with the divisor's sign ({@code jnp.remainder}, Python's {@code %}). */
  public Tensor mod(Tensor o) { return Elementwise.mod(this, o); }

  public Tensor mod(long v) { return mod(weak("mod", v)); }

  public Tensor pow(Tensor o) { return Elementwise.binary("pow", BinaryKind.POWER, this, o); }

  public Tensor pow(double v) { return pow(weak(v)); }

  public Tensor pow(long v) { return pow(weak("pow", v)); }

  public Tensor maximum(Tensor o) { return Elementwise.binary("maximum", BinaryKind.MAXIMUM, this, o); }

  public Tensor maximum(double v) { return maximum(weak(v)); }

  public Tensor maximum(long v) { return maximum(weak("maximum", v)); }

  public Tensor minimum(Tensor o) { return Elementwise.binary("minimum", BinaryKind.MINIMUM, this, o); }

  public Tensor minimum(double v) { return minimum(weak(v)); }

  public Tensor minimum(long v) { return minimum(weak("minimum", v)); }

  // ---- unary math ----

  public Tensor neg() { return Elementwise.unary(UnaryKind.NEGATE, this); }

  /** {@code |x|}; unsigned and pred tensors are returned as they are. */
  public Tensor abs() { return dtype().isUnsigned() || dtype().isBool() ? this : Elementwise.unary(UnaryKind.ABS, this); }

  public Tensor sqrt() { return Elementwise.floatUnary(UnaryKind.SQRT, this); }

  public Tensor rsqrt() { return Elementwise.floatUnary(UnaryKind.RSQRT, this); }

  public Tensor exp() { return Elementwise.floatUnary(UnaryKind.EXP, this); }

  public Tensor expm1() { return Elementwise.floatUnary(UnaryKind.EXPM1, this); }

  public Tensor log() { return Elementwise.floatUnary(UnaryKind.LOG, this); }

  public Tensor log1p() { return Elementwise.floatUnary(UnaryKind.LOG1P, this); }

  public Tensor tanh() { return Elementwise.floatUnary(UnaryKind.TANH, this); }

  /** The logistic function {@code 1 / (1 + exp(-x))} ({@code stablehlo.logistic}). */
  public Tensor sigmoid() { return Elementwise.floatUnary(UnaryKind.LOGISTIC, this); }

  public Tensor sin() { return Elementwise.floatUnary(UnaryKind.SIN, this); }

  public Tensor cos() { return Elementwise.floatUnary(UnaryKind.COS, this); }

  public Tensor erf() { return Elementwise.floatUnary(UnaryKind.ERF, this); }

  /** {@code x * x}. */
  public Tensor square() { return mul(this); }

  /** Integers are returned as they are. */
  public Tensor floor() { return dtype().isFloat() ? Elementwise.unary(UnaryKind.FLOOR, this) : this; }

  public Tensor ceil() { return dtype().isFloat() ? Elementwise.unary(UnaryKind.CEIL, this) : this; }

  /** Rounds half to even, as {@code jnp.round} does; integers are returned as they are. */
  public Tensor round() { return dtype().isFloat() ? Elementwise.unary(UnaryKind.ROUND_EVEN, this) : this; }

  /** -1, 0 or 1 (NaN stays NaN). */
  public Tensor sign() { return Elementwise.unary(UnaryKind.SIGN, this); }

  /** pred: not inf and not NaN (always true for integers). */
  public Tensor isFinite() {
    return dtype().isFloat() ? Elementwise.unary(UnaryKind.IS_FINITE, this) : graph.ones(type().withDType(DType.PRED));
  }

  /** Logical not of pred, bitwise not of integers. */
  public Tensor not() { return Elementwise.unary(UnaryKind.NOT, this); }

  // ---- logic and comparison ----

  /** Logical and of pred, bitwise and of integers. */
  public Tensor and(Tensor o) { return Elementwise.binary("and", BinaryKind.AND, this, o); }

  public Tensor or(Tensor o) { return Elementwise.binary("or", BinaryKind.OR, this, o); }

  public Tensor xor(Tensor o) { return Elementwise.binary("xor", BinaryKind.XOR, this, o); }

  public Tensor eq(Tensor o) { return Elementwise.compare("eq", Direction.EQ, this, o); }

  public Tensor eq(double v) { return eq(weak(v)); }

  public Tensor eq(long v) { return eq(weak("eq", v)); }

  public Tensor ne(Tensor o) { return Elementwise.compare("ne", Direction.NE, this, o); }

  public Tensor ne(double v) { return ne(weak(v)); }

  public Tensor ne(long v) { return ne(weak("ne", v)); }

  public Tensor lt(Tensor o) { return Elementwise.compare("lt", Direction.LT, this, o); }

  public Tensor lt(double v) { return lt(weak(v)); }

  public Tensor lt(long v) { return lt(weak("lt", v)); }

  public Tensor le(Tensor o) { return Elementwise.compare("le", Direction.LE, this, o); }

  public Tensor le(double v) { return le(weak(v)); }

  public Tensor le(long v) { return le(weak("le", v)); }

  public Tensor gt(Tensor o) { return Elementwise.compare("gt", Direction.GT, this, o); }

  public Tensor gt(double v) { return gt(weak(v)); }

  public Tensor gt(long v) { return gt(weak("gt", v)); }

  public Tensor ge(Tensor o) { return Elementwise.compare("ge", Direction.GE, this, o); }

  public Tensor ge(double v) { return ge(weak(v)); }

  public Tensor ge(long v) { return ge(weak("ge", v)); }

  // ---- types ----

  /** Converts the element type ({@code stablehlo.convert}); a no-op when it already matches. */
  public Tensor astype(DType d) { return d == dtype() ? this : graph.emit1(new Op.Convert(value(), d)); }

  /**
   * Reinterprets the bits ({@code lax.bitcast_convert_type}): to a narrower type a last axis of
   * width ratio is added; to a wider type the last axis (of that ratio) is removed.
   */
  public Tensor bitcast(DType d) {
    int from = dtype().bits();
    int to = d.bits();
    Shape s = from == to ? shape() : from > to ? shape().append(Shape.of(from / to))
        : rank() > 0 ? shape().without(rank() - 1) : shape();
    return graph.emit1(new Op.BitcastConvert(value(), new TensorType(d, s)));
  }

  /** {@code jnp.clip}, keeping this tensor's type. */
  public Tensor clamp(double lo, double hi) {
    return Elementwise.clamp(graph.scalar(lo, dtype()), this, graph.scalar(hi, dtype()));
  }

  /** Clamps between tensors that broadcast to this shape (or are scalars). */
  public Tensor clamp(Tensor lo, Tensor hi) { return Elementwise.clamp(lo, this, hi); }

  // ---- shape ----

  /** {@code x.reshape(b, -1)}: one -1 is inferred from the element count. */
  public Tensor reshape(long... dims) { return ShapeOps.reshape(this, dims); }

  public Tensor reshape(Shape s) { return ShapeOps.reshape(this, s.dims()); }

  /** Permutes axes: result axis i is input axis {@code perm[i]}. */
  public Tensor transpose(int... perm) {
    if (perm.length == 0 && rank() > 1) {
      int[] rev = new int[rank()];
      for (int i = 0; i < rev.length; i++) rev[i] = rank() - 1 - i;
      return ShapeOps.transpose(this, rev);
    }
    return ShapeOps.transpose(this, perm);
  }

  /** Exchanges two axes: {@code k.swapaxes(-1, -2)}. */
  public Tensor swapaxes(int a, int b) { return ShapeOps.swapaxes(this, a, b); }

  /** Inserts a size-1 axis at {@code axis} (in [-rank-1, rank]). */
  public Tensor expandDims(int axis) { return ShapeOps.expandDims(this, axis); }

  /** Removes the given size-1 axes, or all of them when none are given. */
  public Tensor squeeze(int... axes) { return ShapeOps.squeeze(this, axes); }

  /** NumPy {@code broadcast_to}. */
  public Tensor broadcastTo(long... dims) { return Broadcasting.to("broadcastTo", this, Shape.of(dims)); }

  public Tensor broadcastTo(Shape s) { return Broadcasting.to("broadcastTo", this, s); }

  /** {@code x[start:limit]} on every axis. */
  public Tensor slice(long[] start, long[] limit) { return ShapeOps.slice(this, start, limit, null); }

  public Tensor slice(long[] start, long[] limit, long[] strides) { return ShapeOps.slice(this, start, limit, strides); }

  /** {@code x[..., start:end, ...]} on one axis; negative bounds count from the end. */
  public Tensor slice(int axis, long start, long end) { return ShapeOps.slice(this, axis, start, end); }

  /** {@code lax.dynamic_slice}: scalar integer starts (clamped into range), static sizes. */
  public Tensor dynamicSlice(List<Tensor> starts, long... sizes) { return ShapeOps.dynamicSlice(this, starts, sizes); }

  /** {@code size} elements from a runtime {@code start} along one axis. */
  public Tensor dynamicSlice(int axis, Tensor start, long size) { return ShapeOps.dynamicSlice(this, axis, start, size); }

  /** {@code lax.dynamic_update_slice}: {@code update} (converted to this type) written at {@code starts}. */
  public Tensor dynamicUpdateSlice(Tensor update, List<Tensor> starts) {
    return ShapeOps.dynamicUpdateSlice(this, update, starts);
  }

  public Tensor dynamicUpdateSlice(Tensor update, Tensor... starts) {
    return ShapeOps.dynamicUpdateSlice(this, update, Arrays.asList(starts));
  }

  /** Edge padding (negative values crop) with {@code value}. */
  public Tensor pad(long[] low, long[] high, double value) { return ShapeOps.pad(this, low, high, null, value); }

  /** Edge and interior padding ({@code lax.pad}). */
  public Tensor pad(long[] low, long[] high, long[] interior, double value) {
    return ShapeOps.pad(this, low, high, interior, value);
  }

  /** Reverses the order of elements along {@code axes}. */
  public Tensor reverse(int... axes) { return ShapeOps.reverse(this, axes); }

  /** Splits {@code axis} into pieces of the given sizes (which must sum to its length). */
  public List<Tensor> split(int axis, long... sizes) { return ShapeOps.split(this, axis, sizes); }

  /** Splits {@code axis} into {@code n} equal pieces: {@code qkv.chunk(3, -1)}. */
  public List<Tensor> chunk(int n, int axis) { return ShapeOps.chunk(this, n, axis); }

  // ---- linear algebra ----

  /** NumPy {@code matmul} (see {@link LinAlg}): {@code [b, s, d] @ [d, e] -> [b, s, e]}. */
  public Tensor matmul(Tensor o) { return LinAlg.matmul(this, o, null); }

  /** {@code matmul} with a preferred result type: {@code xBf16.matmul(w, DType.F32)} accumulates in f32. */
  public Tensor matmul(Tensor o, DType preferred) { return LinAlg.matmul(this, o, preferred); }

  /**
   * {@code matmul} with a preferred result type (null: the operands') and the dot's precision:
   * {@code x.matmul(w, null, Precision.HIGHEST)} asks for full f32 products (no TF32 on a GPU).
   */
  public Tensor matmul(Tensor o, DType preferred, Precision precision) {
    return LinAlg.matmul(this, o, preferred, java.util.Objects.requireNonNull(precision, "precision"));
  }

  /** {@code lax.dot_general} with explicit dimensions, precision and preferred type (null: operand type). */
  public Tensor dotGeneral(Tensor o, DotDims dims, Precision precision, DType preferred) {
    return LinAlg.dotGeneral(this, o, dims, precision, preferred);
  }

  // ---- reductions ----

  /** Sum over {@code axes} (all when none); small integers accumulate in 32 bits, half floats in f32. */
  public Tensor sum(int... axes) { return Reductions.sum(this, axes, false); }

  public Tensor sum(int axis, boolean keepDims) { return Reductions.sum(this, new int[] {axis}, keepDims); }

  public Tensor sum(int[] axes, boolean keepDims) { return Reductions.sum(this, axes, keepDims); }

  /** Mean over {@code axes}; integers average as f32. */
  public Tensor mean(int... axes) { return Reductions.mean(this, axes, false); }

  public Tensor mean(int axis, boolean keepDims) { return Reductions.mean(this, new int[] {axis}, keepDims); }

  public Tensor mean(int[] axes, boolean keepDims) { return Reductions.mean(this, axes, keepDims); }

  public Tensor max(int... axes) { return Reductions.max(this, axes, false); }

  public Tensor max(int axis, boolean keepDims) { return Reductions.max(this, new int[] {axis}, keepDims); }

  public Tensor max(int[] axes, boolean keepDims) { return Reductions.max(this, axes, keepDims); }

  public Tensor min(int... axes) { return Reductions.min(this, axes, false); }

  public Tensor min(int axis, boolean keepDims) { return Reductions.min(this, new int[] {axis}, keepDims); }

  public Tensor min(int[] axes, boolean keepDims) { return Reductions.min(this, axes, keepDims); }

  public Tensor prod(int... axes) { return Reductions.prod(this, axes, false); }

  public Tensor prod(int axis, boolean keepDims) { return Reductions.prod(this, new int[] {axis}, keepDims); }

  public Tensor prod(int[] axes, boolean keepDims) { return Reductions.prod(this, axes, keepDims); }

  /** i32 index of the maximum along {@code axis}; ties give the lowest index, NaN counts as largest. */
  public Tensor argmax(int axis) { return Reductions.argExtreme("argmax", this, axis, false, true); }

  public Tensor argmax(int axis, boolean keepDims) { return Reductions.argExtreme("argmax", this, axis, keepDims, true); }

  /** i32 index of the minimum along {@code axis}; ties give the lowest index. */
  public Tensor argmin(int axis) { return Reductions.argExtreme("argmin", this, axis, false, false); }

  public Tensor argmin(int axis, boolean keepDims) { return Reductions.argExtreme("argmin", this, axis, keepDims, false); }

  /** {@code log(sum(exp(x)))}, stable (max subtracted first). */
  public Tensor logsumexp(int... axes) { return Reductions.logsumexp(this, axes, false); }

  public Tensor logsumexp(int axis, boolean keepDims) { return Reductions.logsumexp(this, new int[] {axis}, keepDims); }

  /** Softmax over the last axis. */
  public Tensor softmax() { return softmax(-1); }

  /** Softmax over {@code axis}; bf16/f16 compute in f32 and are cast back. */
  public Tensor softmax(int axis) { return Reductions.softmax(this, axis); }

  public Tensor logSoftmax() { return logSoftmax(-1); }

  public Tensor logSoftmax(int axis) { return Reductions.logSoftmax(this, axis); }

  /**
   * A reduction with your own combiner, traced into the reduce region (it sees only its two scalar
   * arguments): {@code x.reduce(g.scalar(0, x.dtype()), new int[] {-1}, (a, b) -> a.add(b.abs()))}.
   */
  public Tensor reduce(Tensor init, int[] axes, BinaryOperator<Tensor> fn) {
    return Reductions.reduce(this, init, axes, false, fn);
  }

  public Tensor reduce(double init, int[] axes, BinaryOperator<Tensor> fn) {
    return reduce(graph.scalar(init, dtype()), axes, fn);
  }

  /** Inclusive cumulative sum along {@code axis} (small integers widen as for {@link #sum}). */
  public Tensor cumsum(int axis) { return Cumulative.cumsum(this, axis); }

  public Tensor cumprod(int axis) { return Cumulative.cumprod(this, axis); }

  public Tensor cummax(int axis) { return Cumulative.cummax(this, axis); }

  public Tensor cummin(int axis) { return Cumulative.cummin(this, axis); }

  // ---- indexing, sorting ----

  /** {@code jax.nn.one_hot}: integer labels {@code [..]} to {@code [.., depth]} of {@code dtype}. */
  public Tensor oneHot(int depth, DType dtype) { return Indexing.oneHot(this, depth, dtype); }

  /** {@code jnp.take(x, indices, axis)} (embedding lookup: {@code table.take(ids, 0)}); indices clamp. */
  public Tensor take(Tensor indices, int axis) { return Indexing.take(this, indices, axis); }

  /** {@code x.at[indices].add(updates)} along axis 0 (index_add); duplicates accumulate. */
  public Tensor scatterAdd(Tensor indices, Tensor updates) { return Indexing.scatterAdd(this, 0, indices, updates); }

  /** {@code scatterAdd} along any axis; updates have this shape with the index count at {@code axis}. */
  public Tensor scatterAdd(int axis, Tensor indices, Tensor updates) {
    return Indexing.scatterAdd(this, axis, indices, updates);
  }

  /** The k largest along the last axis, descending, with i32 indices ({@code lax.top_k}). */
  public TopK topK(int k) { return Sorting.topK(this, k); }

  /** Stable sort along {@code axis}. */
  public Tensor sort(int axis, boolean descending) { return Sorting.sort(this, axis, descending); }

  /** Ascending sort along the last axis. */
  public Tensor sort() { return Sorting.sort(this, -1, false); }

  /** i32 indices that sort along {@code axis}; equal elements keep their order. */
  public Tensor argsort(int axis, boolean descending) { return Sorting.argsort(this, axis, descending); }

  // ---- distribution ----

  /** Constrains this value's layout over devices ({@code jax.lax.with_sharding_constraint}). */
  public Tensor shardingConstraint(Sharding sharding) {
    return graph.emit1(new Op.ShardingConstraint(value(), sharding));
  }

  // ---- weak scalars ----

  /** A Java double as a weak-typed constant shaped like this tensor. */
  Tensor weak(double v) { return graph.full(type().withDType(Promotion.withWeakFloat(dtype())), v); }

  Tensor weak(String op, long v) {
    return Elementwise.like(op, type().withDType(Promotion.withWeakInt(dtype())), v, graph);
  }
}
