package org.xla4j.ir;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Re-emits ops that were built elsewhere (another region, another function) into a builder's current block,
 * reading each operand through a value map: an operand with an entry reads as the mapped value, one without
 * reads as itself (it must then be visible where the copy goes). Results of each copy are added to the map,
 * so a sequence of ops copies with its internal uses rewired. Regions are copied recursively.
 *
 * <p>Used by autodiff, whose backward of a conditional recomputes a branch's ops inside a new branch (the
 * forward branch's values cannot be seen from a sibling region), and whose sort backward re-sorts with an
 * extra operand (the comparator is copied with its argument list extended).
 *
 * <pre>{@code
 * Cloner c = new Cloner(fb);
 * c.map(oldArg, newArg);
 * for (Operation o : oldBlock.ops()) c.copy(o);
 * Value out = c.get(oldBlock.returned().get(0));
 * }</pre>
 */
public final class Cloner {
  private final FunctionBuilder fb;
  private final Map<Value, Value> map = new IdentityHashMap<>();

  public Cloner(FunctionBuilder fb) { this.fb = fb; }

  /** Reads {@code from} as {@code to} in the ops copied from now on. */
  public Cloner map(Value from, Value to) {
    map.put(from, to);
    return this;
  }

  /** What {@code v} reads as: its copy or mapped value, else itself. */
  public Value get(Value v) { return map.getOrDefault(v, v); }

  /**
   * Copies {@code o} (its regions too) into the builder's current block, keeping its location; returns the
   * copy's results.
   */
  public List<Value> copy(Operation o) {
    Op op = remap(o.op(), this::get, this::copyRegion);
    List<Value> rs = fb.emit(op, o.location());
    for (int i = 0; i < rs.size(); i++) map.put(o.results().get(i), rs.get(i));
    return rs;
  }

  /** A copy of region {@code b} built at the builder's current level, with b's arguments mapped to the copy's. */
  public Block copyRegion(Block b) {
    List<org.xla4j.types.TensorType> types = b.args().stream().map(Value::type).toList();
    return fb.region(types, b.isolated(), args -> {
      for (int i = 0; i < args.size(); i++) map.put(b.args().get(i), args.get(i));
      for (Operation o : b.ops()) copy(o);
      List<Value> out = new ArrayList<>();
      for (Value v : b.returned()) out.add(get(v));
      return out;
    });
  }

  /**
   * {@code op} with every operand replaced through {@code operand} and every region through {@code region};
   * attributes are kept. Regions are mapped in the order {@link OpInfo#regions} lists them.
   */
  public static Op remap(Op op, Function<Value, Value> operand, Function<Block, Block> region) {
    Function<Value, Value> f = operand;
    return switch (op) {
      case Op.Constant c -> c;
      case Op.Iota i -> i;
      case Op.Unary u -> new Op.Unary(u.kind(), f.apply(u.operand()));
      case Op.Binary b -> new Op.Binary(b.kind(), f.apply(b.lhs()), f.apply(b.rhs()));
      case Op.Compare c -> new Op.Compare(c.direction(), c.compareType(), f.apply(c.lhs()), f.apply(c.rhs()));
      case Op.Select s -> new Op.Select(f.apply(s.pred()), f.apply(s.onTrue()), f.apply(s.onFalse()));
      case Op.Clamp c -> new Op.Clamp(f.apply(c.min()), f.apply(c.operand()), f.apply(c.max()));
      case Op.Convert c -> new Op.Convert(f.apply(c.operand()), c.to());
      case Op.BitcastConvert b -> new Op.BitcastConvert(f.apply(b.operand()), b.to());
      case Op.BroadcastInDim b -> new Op.BroadcastInDim(f.apply(b.operand()), b.shape(), b.dims());
      case Op.Reshape r -> new Op.Reshape(f.apply(r.operand()), r.shape());
      case Op.Transpose t -> new Op.Transpose(f.apply(t.operand()), t.permutation());
      case Op.Slice s -> new Op.Slice(f.apply(s.operand()), s.start(), s.limit(), s.strides());
      case Op.DynamicSlice s -> new Op.DynamicSlice(f.apply(s.operand()), all(s.startIndices(), f), s.sizes());
      case Op.DynamicUpdateSlice s -> new Op.DynamicUpdateSlice(f.apply(s.operand()), f.apply(s.update()),
          all(s.startIndices(), f));
      case Op.Concatenate c -> new Op.Concatenate(all(c.inputs(), f), c.dimension());
      case Op.Pad p -> new Op.Pad(f.apply(p.operand()), f.apply(p.paddingValue()), p.low(), p.high(), p.interior());
      case Op.Reverse r -> new Op.Reverse(f.apply(r.operand()), r.dimensions());
      case Op.Gather g -> new Op.Gather(f.apply(g.operand()), f.apply(g.startIndices()), g.dims(), g.sliceSizes(),
          g.indicesAreSorted());
      case Op.Scatter s -> new Op.Scatter(all(s.inputs(), f), f.apply(s.scatterIndices()), all(s.updates(), f),
          s.dims(), region.apply(s.computation()), s.indicesAreSorted(), s.uniqueIndices());
      case Op.DotGeneral d -> new Op.DotGeneral(f.apply(d.lhs()), f.apply(d.rhs()), d.dims(), d.lhsPrecision(),
          d.rhsPrecision(), d.resultType());
      case Op.Reduce r -> new Op.Reduce(all(r.inputs(), f), all(r.inits(), f), r.dimensions(),
          region.apply(r.body()), r.kind());
      case Op.While w -> {
        Block cond = region.apply(w.cond());
        yield new Op.While(all(w.operands(), f), cond, region.apply(w.body()));
      }
      case Op.Scan sc -> new Op.Scan(all(sc.init(), f), all(sc.xs(), f), all(sc.consts(), f), sc.length(),
          region.apply(sc.body()));
      case Op.If i -> {
        Block t = region.apply(i.thenBranch());
        yield new Op.If(f.apply(i.pred()), t, region.apply(i.elseBranch()));
      }
      case Op.Case c -> new Op.Case(f.apply(c.index()), c.branches().stream().map(region).toList());
      case Op.Sort s -> new Op.Sort(all(s.inputs(), f), s.dimension(), s.stable(), region.apply(s.comparator()));
      case Op.RaggedDot r -> new Op.RaggedDot(f.apply(r.lhs()), f.apply(r.rhs()), f.apply(r.groupSizes()),
          r.resultType());
      case Op.TopK t -> new Op.TopK(f.apply(t.operand()), t.k());
      case Op.RngBitGenerator r -> new Op.RngBitGenerator(r.algorithm(), f.apply(r.state()), r.output());
      case Op.OptimizationBarrier b -> new Op.OptimizationBarrier(all(b.operands(), f));
      case Op.CustomCall c -> new Op.CustomCall(c.target(), all(c.operands(), f), c.resultTypes(), c.apiVersion(),
          c.backendConfig(), c.hasSideEffect(), c.operandLayouts(), c.resultLayouts());
      case Op.AllReduce a -> new Op.AllReduce(f.apply(a.operand()), a.replicaGroups(), a.channelId(),
          a.useGlobalDeviceIds(), region.apply(a.computation()));
      case Op.AllGather a -> new Op.AllGather(f.apply(a.operand()), a.dimension(), a.replicaGroups(), a.channelId(),
          a.useGlobalDeviceIds());
      case Op.ReduceScatter a -> new Op.ReduceScatter(f.apply(a.operand()), a.dimension(), a.replicaGroups(),
          a.channelId(), a.useGlobalDeviceIds(), region.apply(a.computation()));
      case Op.CollectivePermute p -> new Op.CollectivePermute(f.apply(p.operand()), p.sourceTargetPairs(),
          p.channelId());
      case Op.AllToAll a -> new Op.AllToAll(f.apply(a.operand()), a.splitDimension(), a.concatDimension(),
          a.splitCount(), a.replicaGroups(), a.channelId());
      case Op.PartitionId p -> p;
      case Op.ReplicaId r -> r;
      case Op.Call c -> new Op.Call(c.callee(), all(c.operands(), f), c.resultTypes());
      case Op.ShardingConstraint s -> new Op.ShardingConstraint(f.apply(s.operand()), s.sharding());
    };
  }

  private static List<Value> all(List<Value> vs, Function<Value, Value> f) { return vs.stream().map(f).toList(); }
}
