package org.xla4j.ir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Result types of every op, as pure functions over operand types. A rule that cannot accept its
 * operands throws {@link IllegalArgumentException} with a "requires ..., got ..." detail; the builder
 * adds the op name and the user's call site.
 */
public final class ShapeRules {
  private ShapeRules() {}

  /** The result types of {@code op}, or an exception saying what is wrong. */
  public static List<TensorType> infer(Op op) {
    return switch (op) {
      case Op.Constant c -> List.of(c.value().type());
      case Op.Iota i -> {
        require(i.type().rank() > 0, "a ranked result, got " + i.type());
        axisIn(i.dimension(), i.type().rank(), "iota_dimension");
        yield List.of(i.type());
      }
      case Op.Unary u -> List.of(unary(u));
      case Op.Binary b -> List.of(binary(b));
      case Op.Compare c -> {
        sameType(c.lhs(), c.rhs());
        yield List.of(c.lhs().type().withDType(DType.PRED));
      }
      case Op.Select s -> {
        sameType(s.onTrue(), s.onFalse());
        TensorType p = s.pred().type();
        require(p.dtype() == DType.PRED, "a pred condition, got " + p);
        require(p.rank() == 0 || p.shape().equals(s.onTrue().type().shape()),
            "a scalar pred or one shaped like the operands " + s.onTrue().type().shape() + ", got " + p);
        yield List.of(s.onTrue().type());
      }
      case Op.Clamp c -> {
        TensorType x = c.operand().type();
        for (Value b : List.of(c.min(), c.max())) {
          require(b.type().dtype() == x.dtype() && (b.type().rank() == 0 || b.type().shape().equals(x.shape())),
              "min/max of the operand's element type, scalar or shaped like the operand " + x + ", got " + b.type());
        }
        yield List.of(x);
      }
      case Op.Convert c -> List.of(c.operand().type().withDType(c.to()));
      case Op.BitcastConvert b -> List.of(bitcast(b));
      case Op.BroadcastInDim b -> List.of(broadcast(b));
      case Op.Reshape r -> {
        require(r.operand().type().numElements() == r.shape().numElements(),
            "the same number of elements, got " + r.operand().type() + " (" + r.operand().type().numElements()
                + ") -> " + r.shape() + " (" + r.shape().numElements() + ")");
        yield List.of(r.operand().type().withShape(r.shape()));
      }
      case Op.Transpose t -> {
        TensorType x = t.operand().type();
        permutation(t.permutation(), x.rank(), "permutation");
        long[] d = new long[x.rank()];
        for (int i = 0; i < d.length; i++) d[i] = x.shape().dim(t.permutation().get(i));
        yield List.of(x.withShape(Shape.of(d)));
      }
      case Op.Slice s -> List.of(slice(s));
      case Op.DynamicSlice s -> {
        TensorType x = s.operand().type();
        require(s.startIndices().size() == x.rank() && s.sizes().size() == x.rank(),
            x.rank() + " start indices and sizes for " + x + ", got " + s.startIndices().size() + " and " + s.sizes().size());
        scalarIndices(s.startIndices());
        for (int i = 0; i < x.rank(); i++) {
          require(s.sizes().get(i) >= 0 && s.sizes().get(i) <= x.shape().dim(i),
              "slice sizes within " + x.shape() + ", got " + s.sizes());
        }
        yield List.of(x.withShape(Shape.of(s.sizes())));
      }
      case Op.DynamicUpdateSlice s -> {
        TensorType x = s.operand().type();
        TensorType u = s.update().type();
        require(u.dtype() == x.dtype() && u.rank() == x.rank(), "an update of " + x.dtype().mlir() + " and rank "
            + x.rank() + ", got " + u);
        for (int i = 0; i < x.rank(); i++) {
          require(u.shape().dim(i) <= x.shape().dim(i), "an update no larger than " + x + ", got " + u);
        }
        require(s.startIndices().size() == x.rank(), x.rank() + " start indices, got " + s.startIndices().size());
        scalarIndices(s.startIndices());
        yield List.of(x);
      }
      case Op.Concatenate c -> List.of(concatenate(c));
      case Op.Pad p -> List.of(pad(p));
      case Op.Reverse r -> {
        for (int d : r.dimensions()) axisIn(d, r.operand().type().rank(), "dimensions");
        unique(r.dimensions(), "dimensions");
        yield List.of(r.operand().type());
      }
      case Op.Gather g -> List.of(GatherRules.gather(g));
      case Op.Scatter s -> GatherRules.scatter(s);
      case Op.DotGeneral d -> List.of(dot(d));
      case Op.Reduce r -> reduce(r);
      case Op.While w -> {
        List<TensorType> types = types(w.operands());
        blockSignature(w.cond(), types, List.of(TensorType.scalar(DType.PRED)), "cond");
        blockSignature(w.body(), types, types, "body");
        yield types;
      }
      case Op.Scan sc -> scan(sc);
      case Op.If i -> {
        require(i.pred().type().equals(TensorType.scalar(DType.PRED)), "a tensor<i1> predicate, got " + i.pred().type());
        List<TensorType> t = returnedTypes(i.thenBranch());
        require(t.equals(returnedTypes(i.elseBranch())),
            "branches returning the same types, got " + t + " and " + returnedTypes(i.elseBranch()));
        yield t;
      }
      case Op.Case c -> {
        require(c.index().type().equals(TensorType.scalar(DType.I32)), "a tensor<i32> index, got " + c.index().type());
        require(!c.branches().isEmpty(), "at least one branch");
        List<TensorType> t = returnedTypes(c.branches().get(0));
        for (Block b : c.branches()) {
          require(returnedTypes(b).equals(t), "branches returning the same types, got " + t + " and " + returnedTypes(b));
        }
        yield t;
      }
      case Op.Sort s -> {
        require(!s.inputs().isEmpty(), "at least one input");
        Shape shape = s.inputs().get(0).type().shape();
        for (Value v : s.inputs()) require(v.type().shape().equals(shape), "inputs of one shape, got " + types(s.inputs()));
        axisIn(s.dimension(), shape.rank(), "dimension");
        List<TensorType> args = new ArrayList<>();
        for (Value v : s.inputs()) {
          args.add(TensorType.scalar(v.type().dtype()));
          args.add(TensorType.scalar(v.type().dtype()));
        }
        blockSignature(s.comparator(), args, List.of(TensorType.scalar(DType.PRED)), "comparator");
        yield types(s.inputs());
      }
      case Op.RaggedDot r -> {
        TensorType l = r.lhs().type();
        TensorType w = r.rhs().type();
        TensorType gs = r.groupSizes().type();
        require(l.rank() == 2 && w.rank() == 3 && l.dim(1) == w.dim(1),
            "lhs [m, k] and rhs [g, k, n] with equal k, got " + l + " and " + w);
        require(l.dtype() == w.dtype() && l.dtype().isFloat(), "float lhs and rhs of one dtype, got " + l + " and " + w);
        require(gs.rank() == 1 && gs.dim(0) == w.dim(0) && gs.dtype().isInteger(),
            "integer group sizes [g] = [" + w.dim(0) + "], got " + gs);
        yield List.of(TensorType.of(r.resultType() == null ? l.dtype() : r.resultType(), l.dim(0), w.dim(2)));
      }
      case Op.TopK t -> {
        TensorType x = t.operand().type();
        require(x.rank() >= 1, "an operand of rank >= 1, got " + x);
        require(t.k() >= 0 && t.k() <= x.dim(-1), "0 <= k <= last dimension " + x.dim(-1) + ", got k=" + t.k());
        Shape s = x.shape().with(-1, t.k());
        yield List.of(x.withShape(s), new TensorType(DType.I32, s));
      }
      case Op.RngBitGenerator r -> {
        TensorType st = r.state().type();
        require(st.rank() == 1 && (st.dtype() == DType.U64 || st.dtype() == DType.I64),
            "a rank-1 ui64 state, got " + st);
        long n = st.shape().dim(0);
        switch (r.algorithm()) {
          case THREE_FRY -> require(n == 2, "a THREE_FRY state of 2 elements, got " + st);
          case PHILOX -> require(n == 2 || n == 3, "a PHILOX state of 2 or 3 elements, got " + st);
          case DEFAULT -> { }
        }
        require(r.output().dtype().isInteger() || r.output().dtype().isFloat(), "an integer or float output, got " + r.output());
        yield List.of(st, r.output());
      }
      case Op.OptimizationBarrier b -> types(b.operands());
      case Op.CustomCall c -> {
        require(!c.target().isEmpty(), "a call target name");
        require(c.operandLayouts().isEmpty() || c.operandLayouts().size() == c.operands().size(),
            "one operand layout per operand, got " + c.operandLayouts().size() + " for " + c.operands().size());
        require(c.resultLayouts().isEmpty() || c.resultLayouts().size() == c.resultTypes().size(),
            "one result layout per result, got " + c.resultLayouts().size() + " for " + c.resultTypes().size());
        for (int i = 0; i < c.operandLayouts().size(); i++) {
          permutation(c.operandLayouts().get(i), c.operands().get(i).type().rank(), "operand layout " + i);
        }
        for (int i = 0; i < c.resultLayouts().size(); i++) {
          permutation(c.resultLayouts().get(i), c.resultTypes().get(i).rank(), "result layout " + i);
        }
        yield c.resultTypes();
      }
      case Op.AllReduce a -> {
        TensorType x = a.operand().type();
        blockSignature(a.computation(), List.of(TensorType.scalar(x.dtype()), TensorType.scalar(x.dtype())),
            List.of(TensorType.scalar(x.dtype())), "computation");
        groups(a.replicaGroups());
        yield List.of(x);
      }
      case Op.AllGather a -> {
        TensorType x = a.operand().type();
        int d = axisIn(a.dimension(), x.rank(), "all_gather_dim");
        yield List.of(x.withShape(x.shape().with(d, x.shape().dim(d) * groups(a.replicaGroups()))));
      }
      case Op.ReduceScatter a -> {
        TensorType x = a.operand().type();
        int d = axisIn(a.dimension(), x.rank(), "scatter_dimension");
        int g = groups(a.replicaGroups());
        require(x.shape().dim(d) % g == 0, "dimension " + d + " of " + x + " divisible by the group size " + g);
        blockSignature(a.computation(), List.of(TensorType.scalar(x.dtype()), TensorType.scalar(x.dtype())),
            List.of(TensorType.scalar(x.dtype())), "computation");
        yield List.of(x.withShape(x.shape().with(d, x.shape().dim(d) / g)));
      }
      case Op.CollectivePermute p -> {
        for (List<Long> pair : p.sourceTargetPairs()) require(pair.size() == 2, "(source, target) pairs, got " + pair);
        yield List.of(p.operand().type());
      }
      case Op.AllToAll a -> {
        TensorType x = a.operand().type();
        int s = axisIn(a.splitDimension(), x.rank(), "split_dimension");
        int c = axisIn(a.concatDimension(), x.rank(), "concat_dimension");
        require(a.splitCount() > 0 && x.shape().dim(s) % a.splitCount() == 0,
            "split dimension " + s + " of " + x + " divisible by split_count " + a.splitCount());
        Shape r = x.shape().with(s, x.shape().dim(s) / a.splitCount());
        r = r.with(c, r.dim(c) * a.splitCount());
        yield List.of(x.withShape(r));
      }
      case Op.PartitionId p -> List.of(TensorType.scalar(DType.U32));
      case Op.ReplicaId r -> List.of(TensorType.scalar(DType.U32));
      case Op.Call c -> c.resultTypes();
      case Op.ShardingConstraint s -> List.of(s.operand().type());
    };
  }

  // ---- helpers, one per rule family ----

  static void require(boolean ok, String requirement) {
    if (!ok) throw new IllegalArgumentException("requires " + requirement);
  }

  static int axisIn(int axis, int rank, String what) {
    require(axis >= 0 && axis < rank, what + " in [0, " + rank + "), got " + axis);
    return axis;
  }

  static void unique(List<Integer> dims, String what) {
    require(new HashSet<>(dims).size() == dims.size(), "distinct " + what + ", got " + dims);
  }

  static void permutation(List<Integer> perm, int rank, String what) {
    require(perm.size() == rank, what + " of length " + rank + ", got " + perm);
    Set<Integer> s = new HashSet<>(perm);
    for (int i = 0; i < rank; i++) require(s.contains(i), what + " to be a permutation of 0.." + (rank - 1) + ", got " + perm);
  }

  static List<TensorType> types(List<Value> vs) {
    return vs.stream().map(Value::type).toList();
  }

  private static void sameType(Value a, Value b) {
    require(a.type().equals(b.type()), "operands of the same type, got " + a.type() + " and " + b.type());
  }

  private static void scalarIndices(List<Value> idx) {
    DType first = idx.isEmpty() ? null : idx.get(0).type().dtype();
    for (Value v : idx) {
      require(v.type().rank() == 0 && v.type().dtype().isInteger() && v.type().dtype() == first,
          "scalar integer start indices of one type, got " + types(idx));
    }
  }

  private static TensorType unary(Op.Unary u) {
    DType d = u.operand().type().dtype();
    boolean ok = switch (u.kind().accepts()) {
      case FLOAT -> d.isFloat();
      case SIGNED_OR_FLOAT -> d.isFloat() || d.kind() == DType.Kind.SIGNED;
      case INT -> d.isInteger();
      case BOOL_OR_INT -> d.isInteger() || d.isBool();
    };
    require(ok, acceptsText(u.kind().accepts().name()) + " operand, got " + u.operand().type());
    return u.kind() == UnaryKind.IS_FINITE ? u.operand().type().withDType(DType.PRED) : u.operand().type();
  }

  private static TensorType binary(Op.Binary b) {
    sameType(b.lhs(), b.rhs());
    DType d = b.lhs().type().dtype();
    boolean ok = switch (b.kind().accepts()) {
      case ANY -> true;
      case NUMERIC -> !d.isBool();
      case FLOAT -> d.isFloat();
      case INT -> d.isInteger();
      case BOOL_OR_INT -> d.isInteger() || d.isBool();
    };
    require(ok, acceptsText(b.kind().accepts().name()) + " operands, got " + b.lhs().type());
    return b.lhs().type();
  }

  private static String acceptsText(String accepts) {
    return switch (accepts) {
      case "FLOAT" -> "a floating-point";
      case "SIGNED_OR_FLOAT" -> "a signed integer or floating-point";
      case "INT" -> "an integer";
      case "BOOL_OR_INT" -> "a pred or integer";
      case "NUMERIC" -> "a numeric (non-pred)";
      default -> "an";
    };
  }

  private static TensorType bitcast(Op.BitcastConvert b) {
    TensorType x = b.operand().type();
    TensorType to = b.to();
    int from = x.dtype().bits();
    int dst = to.dtype().bits();
    if (from == dst) {
      require(to.shape().equals(x.shape()), "the same shape for equal bit widths, got " + x + " -> " + to);
    } else if (from > dst) {
      require(to.shape().equals(x.shape().append(Shape.of(from / dst))),
          "result shape " + x.shape().append(Shape.of(from / dst)) + " for " + x + " -> " + to.dtype().mlir() + ", got " + to);
    } else {
      require(x.rank() >= 1 && x.dim(-1) == dst / from && to.shape().equals(x.shape().without(-1)),
          "a last dimension of " + dst / from + " dropped for " + x + " -> " + to.dtype().mlir() + ", got " + to);
    }
    return to;
  }

  private static TensorType broadcast(Op.BroadcastInDim b) {
    TensorType x = b.operand().type();
    require(b.dims().size() == x.rank(), "broadcast_dimensions of length " + x.rank() + " for " + x + ", got " + b.dims());
    unique(b.dims(), "broadcast_dimensions");
    for (int i = 0; i < x.rank(); i++) {
      int d = axisIn(b.dims().get(i), b.shape().rank(), "broadcast_dimensions");
      long src = x.shape().dim(i);
      require(src == 1 || src == b.shape().dim(d),
          "operand dimension " + i + " (" + src + ") to be 1 or equal result dimension " + d + " (" + b.shape().dim(d)
              + "), broadcasting " + x + " to " + b.shape());
    }
    return x.withShape(b.shape());
  }

  private static TensorType slice(Op.Slice s) {
    TensorType x = s.operand().type();
    int r = x.rank();
    require(s.start().size() == r && s.limit().size() == r && s.strides().size() == r,
        r + " start/limit/strides entries for " + x + ", got " + s.start() + ", " + s.limit() + ", " + s.strides());
    long[] d = new long[r];
    for (int i = 0; i < r; i++) {
      long st = s.start().get(i);
      long li = s.limit().get(i);
      long sd = s.strides().get(i);
      require(st >= 0 && st <= li && li <= x.shape().dim(i) && sd >= 1,
          "0 <= start <= limit <= dim and stride >= 1 on dimension " + i + " of " + x + ", got start=" + st
              + " limit=" + li + " stride=" + sd);
      d[i] = (li - st + sd - 1) / sd;
    }
    return x.withShape(Shape.of(d));
  }

  private static TensorType concatenate(Op.Concatenate c) {
    require(!c.inputs().isEmpty(), "at least one input");
    TensorType first = c.inputs().get(0).type();
    int dim = axisIn(c.dimension(), first.rank(), "dimension");
    long total = 0;
    for (Value v : c.inputs()) {
      TensorType t = v.type();
      require(t.dtype() == first.dtype() && t.rank() == first.rank()
          && t.shape().with(dim, 0).equals(first.shape().with(dim, 0)),
          "inputs that agree except on dimension " + dim + ", got " + types(c.inputs()));
      total += t.shape().dim(dim);
    }
    return first.withShape(first.shape().with(dim, total));
  }

  private static TensorType pad(Op.Pad p) {
    TensorType x = p.operand().type();
    require(p.paddingValue().type().equals(TensorType.scalar(x.dtype())),
        "a scalar padding value of " + x.dtype().mlir() + ", got " + p.paddingValue().type());
    int r = x.rank();
    require(p.low().size() == r && p.high().size() == r && p.interior().size() == r,
        r + " low/high/interior entries for " + x);
    long[] d = new long[r];
    for (int i = 0; i < r; i++) {
      long in = p.interior().get(i);
      require(in >= 0, "interior padding >= 0, got " + p.interior());
      long n = x.shape().dim(i);
      d[i] = p.low().get(i) + p.high().get(i) + n + Math.max(0, n - 1) * in;
      require(d[i] >= 0, "a non-negative padded size on dimension " + i + ", got " + d[i]);
    }
    return x.withShape(Shape.of(d));
  }

  private static TensorType dot(Op.DotGeneral d) {
    TensorType l = d.lhs().type();
    TensorType r = d.rhs().type();
    DotDims n = d.dims();
    require(l.dtype() == r.dtype(), "operands of one element type, got " + l + " and " + r);
    require(n.lhsBatch().size() == n.rhsBatch().size(), "as many lhs as rhs batch dims, got " + n);
    require(n.lhsContracting().size() == n.rhsContracting().size(), "as many lhs as rhs contracting dims, got " + n);
    for (int i = 0; i < n.lhsBatch().size(); i++) {
      int a = axisIn(n.lhsBatch().get(i), l.rank(), "lhs batch dimension");
      int b = axisIn(n.rhsBatch().get(i), r.rank(), "rhs batch dimension");
      require(l.shape().dim(a) == r.shape().dim(b), "equal batch sizes, got " + l + " dim " + a + " vs " + r + " dim " + b);
    }
    for (int i = 0; i < n.lhsContracting().size(); i++) {
      int a = axisIn(n.lhsContracting().get(i), l.rank(), "lhs contracting dimension");
      int b = axisIn(n.rhsContracting().get(i), r.rank(), "rhs contracting dimension");
      require(l.shape().dim(a) == r.shape().dim(b),
          "equal contracting sizes, got " + l + " dim " + a + " (" + l.shape().dim(a) + ") vs " + r + " dim " + b
              + " (" + r.shape().dim(b) + ")");
    }
    List<Integer> lAll = new ArrayList<>(n.lhsBatch());
    lAll.addAll(n.lhsContracting());
    unique(lAll, "lhs batch and contracting dims");
    List<Integer> rAll = new ArrayList<>(n.rhsBatch());
    rAll.addAll(n.rhsContracting());
    unique(rAll, "rhs batch and contracting dims");
    List<Long> out = new ArrayList<>();
    for (int b : n.lhsBatch()) out.add(l.shape().dim(b));
    for (int i = 0; i < l.rank(); i++) if (!lAll.contains(i)) out.add(l.shape().dim(i));
    for (int i = 0; i < r.rank(); i++) if (!rAll.contains(i)) out.add(r.shape().dim(i));
    DType rt = d.resultType() == null ? l.dtype() : d.resultType();
    return new TensorType(rt, Shape.of(out));
  }

  private static List<TensorType> reduce(Op.Reduce r) {
    require(!r.inputs().isEmpty() && r.inputs().size() == r.inits().size(),
        "as many init values as inputs (>= 1), got " + r.inputs().size() + " inputs and " + r.inits().size() + " inits");
    Shape shape = r.inputs().get(0).type().shape();
    for (Value v : r.inputs()) require(v.type().shape().equals(shape), "inputs of one shape, got " + types(r.inputs()));
    for (int i = 0; i < r.inits().size(); i++) {
      require(r.inits().get(i).type().equals(TensorType.scalar(r.inputs().get(i).type().dtype())),
          "scalar init " + i + " of " + r.inputs().get(i).type().dtype().mlir() + ", got " + r.inits().get(i).type());
    }
    for (int d : r.dimensions()) axisIn(d, shape.rank(), "dimensions");
    unique(r.dimensions(), "dimensions");
    List<TensorType> scalars = types(r.inits());
    List<TensorType> args = new ArrayList<>(scalars);
    args.addAll(scalars);
    blockSignature(r.body(), args, scalars, "body");
    // a kind that disagrees with the body would make passes (differentiation) compute the wrong thing
    require(r.kind() == ReduceKind.CUSTOM || (r.inputs().size() == 1 && r.kind() == ReduceKind.of(r.body())),
        "a kind that matches the body (" + (r.inputs().size() == 1 ? ReduceKind.of(r.body()) : ReduceKind.CUSTOM)
            + "), got " + r.kind());
    Shape out = shape.without(r.dimensions().stream().mapToInt(Integer::intValue).toArray());
    return r.inputs().stream().map(v -> v.type().withShape(out)).toList();
  }

  static int groups(List<List<Long>> groups) {
    if (groups.isEmpty()) return 1;
    int size = groups.get(0).size();
    for (List<Long> g : groups) require(g.size() == size, "replica groups of equal size, got " + groups);
    return size;
  }

  /** Scan: carry types kept; xs share the leading length; results are the carry then the ys stacked. */
  private static List<TensorType> scan(Op.Scan sc) {
    require(sc.length() >= 0, "a length >= 0, got " + sc.length());
    require(sc.body().isolated(), "an isolated body (its inputs are explicit)");
    List<TensorType> carry = types(sc.init());
    List<TensorType> args = new ArrayList<>(carry);
    for (Value x : sc.xs()) {
      TensorType t = x.type();
      require(t.rank() >= 1 && t.shape().dim(0) == sc.length(), "xs of leading length " + sc.length() + ", got " + t);
      args.add(t.withShape(t.shape().without(0)));
    }
    args.addAll(types(sc.consts()));
    require(types(sc.body().args()).equals(args), "body arguments " + args + ", got " + types(sc.body().args()));
    List<TensorType> ret = returnedTypes(sc.body());
    require(ret.size() >= carry.size() && ret.subList(0, carry.size()).equals(carry),
        "the body to return the carried types " + carry + " first, got " + ret);
    List<TensorType> out = new ArrayList<>(carry);
    for (TensorType y : ret.subList(carry.size(), ret.size())) {
      out.add(y.withShape(Shape.of(sc.length()).append(y.shape())));
    }
    return out;
  }

  static List<TensorType> returnedTypes(Block b) {
    require(b.isTerminated(), "every region to return values (call the region lambda's return)");
    return types(b.returned());
  }

  static void blockSignature(Block b, List<TensorType> args, List<TensorType> results, String what) {
    require(types(b.args()).equals(args), what + " arguments " + args + ", got " + types(b.args()));
    require(returnedTypes(b).equals(results), what + " to return " + results + ", got " + returnedTypes(b));
  }
}
