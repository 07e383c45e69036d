package org.xla4j.autodiff;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Jnp;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Block;
import org.xla4j.ir.DotDims;
import org.xla4j.ir.GatherDims;
import org.xla4j.ir.Op;
import org.xla4j.ir.OpException;
import org.xla4j.ir.OpInfo;
import org.xla4j.ir.Operation;
import org.xla4j.ir.ReduceKind;
import org.xla4j.ir.ScatterDims;
import org.xla4j.ir.Value;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * The reverse-mode rule of every op, in one exhaustive switch over the sealed {@link Op} type (no default
 * branch): adding an op to the IR does not compile until it says how cotangents flow through it, the way
 * {@link org.xla4j.ir.ShapeRules} says what it returns. A rule gets the op with its results, the cotangent of
 * each result (null: none flowed) and which operands need one, and returns one cotangent per operand (null:
 * zero). Ops that cannot carry a gradient either give none (integer, comparison, rounding: zero almost
 * everywhere) or throw "not differentiable" naming the op and where it was built.
 */
final class VjpRules {
  private VjpRules() {}

  /** The cotangents of a dot_general's lhs and rhs (for rematerialization, which saves the dot's result). */
  static List<Tensor> dotVjp(Graph g, Op.DotGeneral d, Tensor ct) { return dot(g, d, ct, new boolean[] {true, true}); }

  static List<Tensor> vjp(Graph g, Operation o, List<Tensor> cts, boolean[] need, Walk walk) {
    Op op = o.op();
    Tensor ct = cts.get(0);
    return switch (op) {
      case Op.Constant c -> none(op);
      case Op.Iota i -> none(op);
      case Op.Unary u -> list(unary(u.kind(), w(g, u.operand()), w(g, o.results().get(0)), ct));
      case Op.Binary b -> binary(b.kind(), w(g, b.lhs()), w(g, b.rhs()), w(g, o.results().get(0)), ct);
      // pred results are never active, so no cotangent reaches these; they pass none on
      case Op.Compare c -> none(op);
      case Op.Select s -> {
        Tensor zero = g.zeros(ct.type());
        yield list(null, emit(g, new Op.Select(s.pred(), ct.value(), zero.value())),
            emit(g, new Op.Select(s.pred(), zero.value(), ct.value())));
      }
      case Op.Clamp c -> clamp(w(g, c.min()), w(g, c.operand()), w(g, c.max()), ct);
      case Op.Convert c -> list(ct.astype(c.operand().type().dtype()));
      case Op.BitcastConvert b -> throw notDifferentiable(o, "a bitcast reinterprets bits; there is no derivative");
      case Op.BroadcastInDim b -> list(unbroadcast(ct, b.operand().type(), b.dims()));
      case Op.Reshape r -> list(emit(g, new Op.Reshape(ct.value(), r.operand().type().shape())));
      case Op.Transpose t -> {
        List<Integer> inv = new ArrayList<>(Collections.nCopies(t.permutation().size(), 0));
        for (int i = 0; i < inv.size(); i++) inv.set(t.permutation().get(i), i);
        yield list(emit(g, new Op.Transpose(ct.value(), inv)));
      }
      case Op.Slice s -> list(unslice(g, s, ct));
      case Op.DynamicSlice s -> {
        Tensor zeros = g.zeros(s.operand().type());
        List<Tensor> r = nulls(1 + s.startIndices().size());
        r.set(0, emit(g, new Op.DynamicUpdateSlice(zeros.value(), ct.value(), s.startIndices())));
        yield r;
      }
      case Op.DynamicUpdateSlice s -> {
        List<Tensor> r = nulls(2 + s.startIndices().size());
        if (need[0]) {
          Tensor hole = g.zeros(s.update().type());
          r.set(0, emit(g, new Op.DynamicUpdateSlice(ct.value(), hole.value(), s.startIndices())));
        }
        if (need[1]) r.set(1, emit(g, new Op.DynamicSlice(ct.value(), s.startIndices(), longs(s.update().type().shape().dims()))));
        yield r;
      }
      case Op.Concatenate c -> {
        List<Tensor> r = nulls(c.inputs().size());
        long offset = 0;
        for (int i = 0; i < r.size(); i++) {
          Shape in = c.inputs().get(i).type().shape();
          if (need[i]) {
            long[] lo = new long[in.rank()];
            long[] hi = ct.shape().dims();
            lo[c.dimension()] = offset;
            hi[c.dimension()] = offset + in.dim(c.dimension());
            r.set(i, emit(g, new Op.Slice(ct.value(), longs(lo), longs(hi), longs(ones(in.rank())))));
          }
          offset += in.dim(c.dimension());
        }
        yield r;
      }
      case Op.Pad p -> unpad(g, p, ct, need);
      case Op.Reverse r -> list(emit(g, new Op.Reverse(ct.value(), r.dimensions())));
      case Op.Gather ga -> list(gatherVjp(g, ga, ct), null);
      case Op.Scatter s -> scatterVjp(g, o, s, ct, need);
      case Op.DotGeneral d -> dot(g, d, ct, need);
      case Op.RaggedDot r -> RaggedDotVjp.vjp(g, r, ct, need);
      case Op.Reduce r -> reduce(g, o, r, cts, need);
      case Op.While wl -> throw notDifferentiable(o, "a while loop (Lax.whileLoop) runs a data-dependent number of"
          + " times and is not differentiated; use Lax.scan, Lax.foriLoop with static bounds or Autodiff.scan, whose"
          + " lengths are static and which differentiate, unroll the loop, or give it a custom VJP with"
          + " Autodiff.customVjp");
      case Op.Scan sc -> ScanVjp.vjp(g, o, sc, cts, walk);
      // the branches' captures get their cotangents through the walk
      case Op.If i -> Conditionals.vjp(g, o, cts, walk);
      case Op.Case c -> Conditionals.vjp(g, o, cts, walk);
      case Op.Sort s -> sort(g, s, cts, need);
      case Op.TopK t -> list(topK(g, w(g, t.operand()), w(g, o.results().get(1)), ct));
      case Op.RngBitGenerator r -> none(op);
      case Op.OptimizationBarrier b -> cts;
      case Op.CustomCall c -> throw notDifferentiable(o, "custom call @" + c.target() + " has no VJP; wrap the call"
          + " with Autodiff.customVjp(forward, backward)");
      case Op.AllReduce a -> throw collective(o);
      case Op.AllGather a -> throw collective(o);
      case Op.ReduceScatter a -> throw collective(o);
      case Op.CollectivePermute p -> throw collective(o);
      case Op.AllToAll a -> throw collective(o);
      case Op.PartitionId p -> none(op);
      case Op.ReplicaId r -> none(op);
      case Op.Call c -> throw notDifferentiable(o, "calls of helper function @" + c.callee() + " are not"
          + " differentiated; build the body inline or give it a custom VJP with Autodiff.customVjp");
      case Op.ShardingConstraint s -> list(emit(g, new Op.ShardingConstraint(ct.value(), s.sharding())));
    };
  }

  // ---- elementwise ----

  private static Tensor unary(org.xla4j.ir.UnaryKind kind, Tensor x, Tensor y, Tensor ct) {
    return switch (kind) {
      case ABS -> ct.mul(x.sign());
      case NEGATE -> ct.neg();
      case SQRT -> ct.div(y.mul(2.0));
      case RSQRT -> ct.mul(y).div(x).mul(-0.5);
      case CBRT -> ct.mul(y).div(x.mul(3.0));
      case EXP -> ct.mul(y);
      case EXPM1 -> ct.mul(y.add(1.0));
      case LOG -> ct.div(x);
      case LOG1P -> ct.div(x.add(1.0));
      case TANH -> ct.mul(y.mul(y).rsub(1.0));
      case LOGISTIC -> ct.mul(y.mul(y.rsub(1.0)));
      case SIN -> ct.mul(x.cos());
      case COS -> ct.mul(x.sin()).neg();
      case TAN -> ct.mul(y.mul(y).add(1.0));
      case ERF -> ct.mul(x.mul(x).neg().exp().mul(2 / Math.sqrt(Math.PI)));
      // piecewise constant: zero almost everywhere
      case FLOOR, CEIL, ROUND, ROUND_EVEN, SIGN -> null;
      // integer or pred results: never active
      case NOT, POPCNT, CLZ, IS_FINITE -> null;
    };
  }

  private static List<Tensor> binary(BinaryKind kind, Tensor x, Tensor y, Tensor z, Tensor ct) {
    DType d = ct.dtype();
    return switch (kind) {
      case ADD -> list(ct, ct);
      case SUBTRACT -> list(ct, ct.neg());
      case MULTIPLY -> list(ct.mul(y), ct.mul(x));
      case DIVIDE -> list(ct.div(y), ct.mul(z).div(y).neg());
      case REMAINDER -> {
        Tensor q = x.div(y);
        yield list(ct, ct.mul(q.sign().mul(q.abs().floor())).neg());
      }
      // ties share the cotangent equally, as jax does
      case MAXIMUM, MINIMUM -> {
        Tensor tie = x.eq(y).astype(d).mul(0.5);
        Tensor xWins = (kind == BinaryKind.MAXIMUM ? x.gt(y) : x.lt(y)).astype(d).add(tie);
        Tensor yWins = (kind == BinaryKind.MAXIMUM ? y.gt(x) : y.lt(x)).astype(d).add(tie);
        yield list(ct.mul(xWins), ct.mul(yWins));
      }
      case POWER -> {
        // d/dx is 0 where y == 0 and d/dy is 0 where x == 0 (jax's convention), avoiding 0 * inf
        Tensor dx = Jnp.where(y.eq(0.0), 0.0, y.mul(x.pow(y.sub(1.0))));
        Tensor dy = Jnp.where(x.eq(0.0), 0.0, x.log().mul(z));
        yield list(ct.mul(dx), ct.mul(dy));
      }
      case ATAN2 -> {
        Tensor r = x.mul(x).add(y.mul(y));
        yield list(ct.mul(y).div(r), ct.mul(x).div(r).neg());
      }
      case AND, OR, XOR, SHIFT_LEFT, SHIFT_RIGHT_ARITHMETIC, SHIFT_RIGHT_LOGICAL -> list(null, null);
    };
  }

  private static List<Tensor> clamp(Tensor min, Tensor x, Tensor max, Tensor ct) {
    Tensor below = x.lt(min);
    Tensor above = x.gt(max);
    Tensor inside = below.or(above).not();
    return list(sumTo(Jnp.where(below, ct, 0.0), min.type()), Jnp.where(inside, ct, 0.0),
        sumTo(Jnp.where(above, ct, 0.0), max.type()));
  }

  /** {@code t} summed down to a scalar bound's type (bounds are scalars or have the operand's shape). */
  private static Tensor sumTo(Tensor t, TensorType type) {
    return t.shape().equals(type.shape()) ? t : t.sum();
  }

  // ---- shapes ----

  /** Sums the broadcast axes away: those not in {@code dims}, and size-1 operand axes that were stretched. */
  private static Tensor unbroadcast(Tensor ct, TensorType operand, List<Integer> dims) {
    List<Integer> stretched = new ArrayList<>();
    for (int i = 0; i < dims.size(); i++) {
      if (operand.shape().dim(i) == 1 && ct.shape().dim(dims.get(i)) != 1) stretched.add(dims.get(i));
    }
    Tensor t = stretched.isEmpty() ? ct : ct.sum(ints(stretched), true);
    List<Integer> added = new ArrayList<>();
    for (int a = 0; a < ct.rank(); a++) if (!dims.contains(a)) added.add(a);
    if (!added.isEmpty()) t = t.sum(ints(added), false);
    // the remaining axes are dims in ascending order; put them back in operand order
    List<Integer> sorted = new ArrayList<>(dims);
    Collections.sort(sorted);
    List<Integer> perm = new ArrayList<>();
    for (int dim : dims) perm.add(sorted.indexOf(dim));
    boolean identity = true;
    for (int i = 0; i < perm.size(); i++) identity &= perm.get(i) == i;
    Graph g = ct.graph();
    if (!identity) t = emit(g, new Op.Transpose(t.value(), perm));
    return t.type().equals(operand) ? t : emit(g, new Op.Reshape(t.value(), operand.shape()));
  }

  /** A slice's cotangent: ct placed back at its positions (edge and interior zero padding). */
  private static Tensor unslice(Graph g, Op.Slice s, Tensor ct) {
    Shape in = s.operand().type().shape();
    int rank = in.rank();
    long[] lo = new long[rank];
    long[] hi = new long[rank];
    long[] interior = new long[rank];
    for (int i = 0; i < rank; i++) {
      long n = ct.shape().dim(i);
      long stride = s.strides().get(i);
      lo[i] = s.start().get(i);
      interior[i] = n == 0 ? 0 : stride - 1;
      hi[i] = in.dim(i) - lo[i] - (n == 0 ? 0 : (n - 1) * stride + 1);
    }
    Tensor zero = g.zeros(TensorType.scalar(ct.dtype()));
    return emit(g, new Op.Pad(ct.value(), zero.value(), longs(lo), longs(hi), longs(interior)));
  }

  /** A pad's cotangent: undo the edge padding, then take every (interior+1)-th element; the padding value gets the rest. */
  private static List<Tensor> unpad(Graph g, Op.Pad p, Tensor ct, boolean[] need) {
    int rank = ct.rank();
    long[] lo = new long[rank];
    long[] hi = new long[rank];
    long[] stride = new long[rank];
    for (int i = 0; i < rank; i++) {
      lo[i] = -p.low().get(i);
      hi[i] = -p.high().get(i);
      stride[i] = p.interior().get(i) + 1;
    }
    Tensor zero = g.zeros(TensorType.scalar(ct.dtype()));
    Tensor unpadded = emit(g, new Op.Pad(ct.value(), zero.value(), longs(lo), longs(hi), longs(new long[rank])));
    Tensor operand = emit(g, new Op.Slice(unpadded.value(), longs(new long[rank]), longs(unpadded.shape().dims()),
        longs(stride)));
    Tensor value = need[1] ? ct.sum().sub(operand.sum()) : null;
    return list(operand, value);
  }

  // ---- indexing ----

  /** A gather's cotangent: scatter-add of ct into zeros at the gathered windows. */
  private static Tensor gatherVjp(Graph g, Op.Gather ga, Tensor ct) {
    GatherDims d = ga.dims();
    ScatterDims sd = new ScatterDims(d.offsetDims(), d.collapsedSliceDims(), d.operandBatchingDims(),
        d.startIndicesBatchingDims(), d.startIndexMap(), d.indexVectorDim());
    Tensor zeros = g.zeros(ga.operand().type());
    return emit(g, new Op.Scatter(List.of(zeros.value()), ga.startIndices(), List.of(ct.value()), sd,
        addRegion(g, ct.dtype()), ga.indicesAreSorted(), false));
  }

  private static List<Tensor> scatterVjp(Graph g, Operation o, Op.Scatter s, Tensor ct, boolean[] need) {
    if (s.inputs().size() != 1) throw notDifferentiable(o, "scatters of several inputs are not differentiated");
    ReduceKind kind = ReduceKind.of(s.computation());
    if (kind != ReduceKind.SUM && kind != ReduceKind.REPLACE) {
      throw notDifferentiable(o, "only add and replace (set) scatters are differentiated, this one combines by "
          + kind);
    }
    ScatterDims d = s.dims();
    TensorType update = s.updates().get(0).type();
    List<Tensor> r = nulls(3);
    if (need[0]) {
      // an add passes ct through; a set passes it only where nothing was written
      r.set(0, kind == ReduceKind.SUM ? ct : emit(g, new Op.Scatter(List.of(ct.value()), s.scatterIndices(),
          List.of(g.zeros(update).value()), d, replaceRegion(g, ct.dtype()), s.indicesAreSorted(),
          s.uniqueIndices())));
    }
    if (need[2]) {
      int rank = ct.rank();
      List<Long> sizes = new ArrayList<>();
      int window = 0;
      for (int i = 0; i < rank; i++) {
        boolean one = d.insertedWindowDims().contains(i) || d.inputBatchingDims().contains(i);
        sizes.add(one ? 1L : update.shape().dim(d.updateWindowDims().get(window++)));
      }
      GatherDims gd = new GatherDims(d.updateWindowDims(), d.insertedWindowDims(), d.inputBatchingDims(),
          d.scatterIndicesBatchingDims(), d.scatterDimsToOperandDims(), d.indexVectorDim());
      // exact for a set when the indices are unique (a duplicate's earlier writes are lost, not differentiated)
      Tensor got = emit(g, new Op.Gather(ct.value(), s.scatterIndices(), gd, sizes, s.indicesAreSorted()));
      // the scatter skipped updates whose window is out of bounds, where the gather clamps: those get zero
      r.set(2, Jnp.where(scatterInBounds(g, s, sizes, update), got, 0.0));
    }
    return r;
  }

  /**
   * A sort's cotangents: each result's cotangent goes back to where its element came from. The permutation is
   * recovered by sorting the same inputs again with an iota alongside (same comparator, so the same order for a
   * stable sort, which is what the DSL builds; an unstable sort with ties may order tied elements differently,
   * and then their cotangents may trade places); sorting the cotangents by that permutation puts them back in
   * input order. Two sorts, O(n log n), never an n x n one-hot.
   */
  private static List<Tensor> sort(Graph g, Op.Sort s, List<Tensor> cts, boolean[] need) {
    int n = s.inputs().size();
    int dim = s.dimension();
    Shape shape = s.inputs().get(0).type().shape();
    Tensor iota = g.iota(new TensorType(DType.I32, shape), dim);
    List<TensorType> args = new ArrayList<>();
    for (Value a : s.comparator().args()) args.add(a.type());
    args.add(TensorType.scalar(DType.I32));
    args.add(TensorType.scalar(DType.I32));
    org.xla4j.ir.Cloner c = new org.xla4j.ir.Cloner(g.raw());
    Block cmp = g.raw().region(args, true, a -> {
      for (int i = 0; i < 2 * n; i++) c.map(s.comparator().args().get(i), a.get(i));
      for (Operation op : s.comparator().ops()) c.copy(op);
      return List.of(c.get(s.comparator().returned().get(0)));
    });
    List<Value> in = new ArrayList<>(s.inputs());
    in.add(iota.value());
    Value perm = g.raw().emit(new Op.Sort(in, dim, s.stable(), cmp)).get(n);
    // the permutation has no ties, so sorting by it is the inverse permutation whatever the stability
    List<Value> back = new ArrayList<>();
    back.add(perm);
    List<Integer> which = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (need[i] && cts.get(i) != null) {
        back.add(cts.get(i).value());
        which.add(i);
      }
    }
    List<Tensor> r = nulls(n);
    if (which.isEmpty()) return r;
    List<TensorType> bargs = new ArrayList<>();
    for (Value v : back) {
      bargs.add(TensorType.scalar(v.type().dtype()));
      bargs.add(TensorType.scalar(v.type().dtype()));
    }
    Block byPerm = g.raw().region(bargs, true, a -> List.of(g.raw().emit1(new Op.Compare(
        org.xla4j.ir.Comparison.Direction.LT, org.xla4j.ir.Comparison.Type.SIGNED, a.get(0), a.get(1)))));
    List<Value> un = g.raw().emit(new Op.Sort(back, dim, false, byPerm));
    for (int k = 0; k < which.size(); k++) r.set(which.get(k), w(g, un.get(1 + k)));
    return r;
  }

  /**
   * Which updates of {@code s} land (true) and which it skips: an update lands when its whole window fits, i.e.
   * {@code 0 <= index_k <= operand_dim - window_size} along every scattered operand dimension. Shaped like the
   * updates with size 1 at the window dimensions (the other dimensions are the indices' batch dimensions, in order).
   */
  private static Tensor scatterInBounds(Graph g, Op.Scatter s, List<Long> windowSizes, TensorType update) {
    ScatterDims d = s.dims();
    Tensor idx = w(g, s.scatterIndices());
    int v = d.indexVectorDim();
    long[] operand = s.inputs().get(0).type().shape().dims();
    Tensor ok = null;
    for (int k = 0; k < d.scatterDimsToOperandDims().size(); k++) {
      Tensor ik = v == idx.rank() ? idx : idx.slice(v, k, k + 1).squeeze(v);
      int od = d.scatterDimsToOperandDims().get(k);
      Tensor in = ik.ge(0L).and(ik.le(operand[od] - windowSizes.get(od)));
      ok = ok == null ? in : ok.and(in);
    }
    long[] shape = new long[update.rank()];
    int j = 0;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = d.updateWindowDims().contains(i) ? 1 : ok.dim(j++);
    }
    return ok.reshape(shape);
  }

  private static Tensor topK(Graph g, Tensor x, Tensor indices, Tensor ct) {
    // ct_x[..., j] = sum over k of ct[..., k] where indices[..., k] == j, as a one-hot product
    long n = x.dim(-1);
    Shape s = indices.shape().append(Shape.of(n));
    Tensor j = g.iota(new TensorType(indices.dtype(), s), s.rank() - 1);
    Tensor hit = indices.expandDims(-1).eq(j).astype(ct.dtype());
    return hit.mul(ct.expandDims(-1)).sum(-2);
  }

  // ---- contractions and reductions ----

  /**
   * dot_general's cotangents are dot_generals of ct with the other side: contract ct's dims that came from
   * the other operand's free dims, keep batch dims batched, then transpose into the operand's layout.
   */
  private static List<Tensor> dot(Graph g, Op.DotGeneral d, Tensor ct, boolean[] need) {
    DotDims n = d.dims();
    Tensor lhs = w(g, d.lhs());
    Tensor rhs = w(g, d.rhs());
    List<Integer> lFree = free(lhs.rank(), n.lhsBatch(), n.lhsContracting());
    List<Integer> rFree = free(rhs.rank(), n.rhsBatch(), n.rhsContracting());
    int nb = n.lhsBatch().size();
    List<Tensor> r = nulls(2);
    if (need[0]) {
      r.set(0, side(g, d, ct, rhs, lhs, n.rhsBatch(), rFree, range(nb + lFree.size(), rFree.size()),
          n.lhsBatch(), lFree, n.lhsContracting(), n.rhsContracting()));
    }
    if (need[1]) {
      r.set(1, side(g, d, ct, lhs, rhs, n.lhsBatch(), lFree, range(nb, lFree.size()),
          n.rhsBatch(), rFree, n.rhsContracting(), n.lhsContracting()));
    }
    return r;
  }

  /**
   * The cotangent of operand "me" from ct and the "other" operand: contracts ct's {@code ctOtherFree} dims
   * with other's free dims; the result is [batch, my free, other's contracting (ascending)], transposed to
   * my layout (my contracting dim k pairs with other's contracting dim k).
   */
  private static Tensor side(Graph g, Op.DotGeneral d, Tensor ct, Tensor other, Tensor me, List<Integer> otherBatch,
      List<Integer> otherFree, List<Integer> ctOtherFree, List<Integer> myBatch, List<Integer> myFree,
      List<Integer> myContracting, List<Integer> otherContracting) {
    int nb = myBatch.size();
    Tensor c = ct.dtype() == other.dtype() ? ct : ct.astype(other.dtype());
    DotDims dims = new DotDims(range(0, nb), otherBatch, ctOtherFree, otherFree);
    DType preferred = ct.dtype() == other.dtype() ? null : ct.dtype();
    Tensor prod = emit(g, new Op.DotGeneral(c.value(), other.value(), dims, d.lhsPrecision(), d.rhsPrecision(),
        preferred));
    List<Integer> sortedOther = new ArrayList<>(otherContracting);
    Collections.sort(sortedOther);
    List<Integer> perm = new ArrayList<>(Collections.nCopies(me.rank(), 0));
    for (int i = 0; i < nb; i++) perm.set(myBatch.get(i), i);
    for (int i = 0; i < myFree.size(); i++) perm.set(myFree.get(i), nb + i);
    for (int k = 0; k < myContracting.size(); k++) {
      perm.set(myContracting.get(k), nb + myFree.size() + sortedOther.indexOf(otherContracting.get(k)));
    }
    Tensor t = emit(g, new Op.Transpose(prod.value(), perm));
    return t.astype(me.dtype());
  }

  private static List<Tensor> reduce(Graph g, Operation o, Op.Reduce r, List<Tensor> cts, boolean[] need) {
    if (r.inputs().size() != 1) {
      throw notDifferentiable(o, "multi-input reductions (e.g. argmax's value/index pairs) are not differentiated");
    }
    Tensor ct = cts.get(0);
    Tensor x = w(g, r.inputs().get(0));
    List<Integer> kept = new ArrayList<>();
    for (int a = 0; a < x.rank(); a++) if (!r.dimensions().contains(a)) kept.add(a);
    return switch (r.kind()) {
      case SUM -> list(bcast(g, ct, x.shape(), kept), need[1] ? ct.sum() : null);
      case MAX, MIN -> {
        if (need[1]) throw notDifferentiable(o, "the gradient into a max/min reduction's init value is not defined");
        // ties share the cotangent equally, as jax does
        Tensor y = bcast(g, w(g, o.results().get(0)), x.shape(), kept);
        Tensor at = x.eq(y).astype(ct.dtype());
        Tensor count = at.sum(ints(r.dimensions()), false);
        yield list(at.mul(bcast(g, ct.div(count), x.shape(), kept)), null);
      }
      case PRODUCT, AND, OR, REPLACE, CUSTOM -> throw notDifferentiable(o, "reductions of kind " + r.kind()
          + " are not differentiated (sum, max and min are)");
    };
  }

  private static Tensor bcast(Graph g, Tensor t, Shape to, List<Integer> dims) {
    return emit(g, new Op.BroadcastInDim(t.value(), to, dims));
  }

  // ---- helpers ----

  private static Block addRegion(Graph g, DType d) {
    TensorType s = TensorType.scalar(d);
    return g.raw().region(List.of(s, s), true,
        a -> List.of(g.raw().emit1(new Op.Binary(BinaryKind.ADD, a.get(0), a.get(1)))));
  }

  private static Block replaceRegion(Graph g, DType d) {
    TensorType s = TensorType.scalar(d);
    return g.raw().region(List.of(s, s), true, a -> List.of(a.get(1)));
  }

  private static OpException notDifferentiable(Operation o, String why) {
    return new OpException(OpInfo.name(o.op()), "not differentiable: " + why, o.location());
  }

  private static OpException collective(Operation o) {
    return notDifferentiable(o, "collectives are not differentiated yet; give the step a custom VJP with"
        + " Autodiff.customVjp");
  }

  private static Tensor w(Graph g, Value v) { return g.wrap(v); }

  private static Tensor emit(Graph g, Op op) { return g.wrap(g.raw().emit1(op)); }

  private static List<Tensor> none(Op op) { return nulls(OpInfo.operands(op).size()); }

  private static List<Tensor> nulls(int n) { return new ArrayList<>(Collections.nCopies(n, null)); }

  private static List<Tensor> list(Tensor... ts) { return Arrays.asList(ts); }

  private static List<Integer> free(int rank, List<Integer> batch, List<Integer> contracting) {
    List<Integer> r = new ArrayList<>();
    for (int i = 0; i < rank; i++) if (!batch.contains(i) && !contracting.contains(i)) r.add(i);
    return r;
  }

  private static List<Integer> range(int from, int n) {
    List<Integer> r = new ArrayList<>();
    for (int i = 0; i < n; i++) r.add(from + i);
    return r;
  }

  private static int[] ints(List<Integer> xs) { return xs.stream().mapToInt(Integer::intValue).toArray(); }

  private static List<Long> longs(long[] xs) { return Arrays.stream(xs).boxed().toList(); }

  private static long[] ones(int n) {
    long[] r = new long[n];
    Arrays.fill(r, 1);
    return r;
  }
}
