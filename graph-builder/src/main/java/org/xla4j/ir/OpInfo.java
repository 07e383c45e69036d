package org.xla4j.ir;

import java.util.ArrayList;
import java.util.List;

/** Generic facts about any op: its name, its operands in order, its regions. */
public final class OpInfo {
  private OpInfo() {}

  /** The op's dialect name, e.g. {@code stablehlo.dot_general}. */
  public static String name(Op op) {
    return switch (op) {
      case Op.Constant c -> "stablehlo.constant";
      case Op.Iota i -> "stablehlo.iota";
      case Op.Unary u -> u.kind().opName();
      case Op.Binary b -> b.kind().opName();
      case Op.Compare c -> "stablehlo.compare";
      case Op.Select s -> "stablehlo.select";
      case Op.Clamp c -> "stablehlo.clamp";
      case Op.Convert c -> "stablehlo.convert";
      case Op.BitcastConvert b -> "stablehlo.bitcast_convert";
      case Op.BroadcastInDim b -> "stablehlo.broadcast_in_dim";
      case Op.Reshape r -> "stablehlo.reshape";
      case Op.Transpose t -> "stablehlo.transpose";
      case Op.Slice s -> "stablehlo.slice";
      case Op.DynamicSlice s -> "stablehlo.dynamic_slice";
      case Op.DynamicUpdateSlice s -> "stablehlo.dynamic_update_slice";
      case Op.Concatenate c -> "stablehlo.concatenate";
      case Op.Pad p -> "stablehlo.pad";
      case Op.Reverse r -> "stablehlo.reverse";
      case Op.Gather g -> "stablehlo.gather";
      case Op.Scatter s -> "stablehlo.scatter";
      case Op.DotGeneral d -> "stablehlo.dot_general";
      case Op.Reduce r -> "stablehlo.reduce";
      case Op.While w -> "stablehlo.while";
      case Op.Scan sc -> "xla4j.scan";
      case Op.If i -> "stablehlo.if";
      case Op.Case c -> "stablehlo.case";
      case Op.Sort s -> "stablehlo.sort";
      case Op.TopK t -> "chlo.top_k";
      case Op.RaggedDot r -> "chlo.ragged_dot";
      case Op.RngBitGenerator r -> "stablehlo.rng_bit_generator";
      case Op.OptimizationBarrier b -> "stablehlo.optimization_barrier";
      case Op.CustomCall c -> "stablehlo.custom_call";
      case Op.AllReduce a -> "stablehlo.all_reduce";
      case Op.AllGather a -> "stablehlo.all_gather";
      case Op.ReduceScatter a -> "stablehlo.reduce_scatter";
      case Op.CollectivePermute p -> "stablehlo.collective_permute";
      case Op.AllToAll a -> "stablehlo.all_to_all";
      case Op.PartitionId p -> "stablehlo.partition_id";
      case Op.ReplicaId r -> "stablehlo.replica_id";
      case Op.Call c -> "func.call";
      case Op.ShardingConstraint s -> "sharding_constraint";
    };
  }

  /** Operands in the order the op's text lists them. */
  public static List<Value> operands(Op op) {
    return switch (op) {
      case Op.Constant c -> List.of();
      case Op.Iota i -> List.of();
      case Op.Unary u -> List.of(u.operand());
      case Op.Binary b -> List.of(b.lhs(), b.rhs());
      case Op.Compare c -> List.of(c.lhs(), c.rhs());
      case Op.Select s -> List.of(s.pred(), s.onTrue(), s.onFalse());
      case Op.Clamp c -> List.of(c.min(), c.operand(), c.max());
      case Op.Convert c -> List.of(c.operand());
      case Op.BitcastConvert b -> List.of(b.operand());
      case Op.BroadcastInDim b -> List.of(b.operand());
      case Op.Reshape r -> List.of(r.operand());
      case Op.Transpose t -> List.of(t.operand());
      case Op.Slice s -> List.of(s.operand());
      case Op.DynamicSlice s -> concat(List.of(s.operand()), s.startIndices());
      case Op.DynamicUpdateSlice s -> concat(List.of(s.operand(), s.update()), s.startIndices());
      case Op.Concatenate c -> c.inputs();
      case Op.Pad p -> List.of(p.operand(), p.paddingValue());
      case Op.Reverse r -> List.of(r.operand());
      case Op.Gather g -> List.of(g.operand(), g.startIndices());
      case Op.Scatter s -> concat(concat(s.inputs(), List.of(s.scatterIndices())), s.updates());
      case Op.DotGeneral d -> List.of(d.lhs(), d.rhs());
      case Op.Reduce r -> concat(r.inputs(), r.inits());
      case Op.While w -> w.operands();
      case Op.Scan sc -> concat(concat(sc.init(), sc.xs()), sc.consts());
      case Op.If i -> List.of(i.pred());
      case Op.Case c -> List.of(c.index());
      case Op.Sort s -> s.inputs();
      case Op.TopK t -> List.of(t.operand());
      case Op.RaggedDot r -> List.of(r.lhs(), r.rhs(), r.groupSizes());
      case Op.RngBitGenerator r -> List.of(r.state());
      case Op.OptimizationBarrier b -> b.operands();
      case Op.CustomCall c -> c.operands();
      case Op.AllReduce a -> List.of(a.operand());
      case Op.AllGather a -> List.of(a.operand());
      case Op.ReduceScatter a -> List.of(a.operand());
      case Op.CollectivePermute p -> List.of(p.operand());
      case Op.AllToAll a -> List.of(a.operand());
      case Op.PartitionId p -> List.of();
      case Op.ReplicaId r -> List.of();
      case Op.Call c -> c.operands();
      case Op.ShardingConstraint s -> List.of(s.operand());
    };
  }

  /** Regions in the order the op's text lists them. */
  public static List<Block> regions(Op op) {
    return switch (op) {
      case Op.Scatter s -> List.of(s.computation());
      case Op.Reduce r -> List.of(r.body());
      case Op.While w -> List.of(w.cond(), w.body());
      case Op.Scan sc -> List.of(sc.body());
      case Op.If i -> List.of(i.thenBranch(), i.elseBranch());
      case Op.Case c -> c.branches();
      case Op.Sort s -> List.of(s.comparator());
      case Op.AllReduce a -> List.of(a.computation());
      case Op.ReduceScatter a -> List.of(a.computation());
      // no default: a new op must say whether it has regions
      case Op.Constant _, Op.Iota _, Op.Unary _, Op.Binary _, Op.Compare _, Op.Select _, Op.Clamp _,
          Op.Convert _, Op.BitcastConvert _, Op.BroadcastInDim _, Op.Reshape _, Op.Transpose _, Op.Slice _,
          Op.DynamicSlice _, Op.DynamicUpdateSlice _, Op.Concatenate _, Op.Pad _, Op.Reverse _, Op.Gather _,
          Op.DotGeneral _, Op.RaggedDot _, Op.TopK _, Op.RngBitGenerator _, Op.OptimizationBarrier _, Op.CustomCall _,
          Op.AllGather _, Op.CollectivePermute _, Op.AllToAll _, Op.PartitionId _, Op.ReplicaId _, Op.Call _,
          Op.ShardingConstraint _ -> List.of();
    };
  }

  private static List<Value> concat(List<Value> a, List<Value> b) {
    List<Value> r = new ArrayList<>(a);
    r.addAll(b);
    return r;
  }
}
