package org.xla4j.ir;

import java.util.List;
import org.xla4j.sharding.Sharding;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * The ops of the IR, as data: a sealed family of records with typed operands and attributes. Result
 * types come from {@link ShapeRules}; text comes from the printer's exhaustive switch over this type.
 * Build them through {@link FunctionBuilder#emit(Op)}, which checks shapes and records the call site.
 *
 * <pre>{@code
 * Value sum = fb.emit1(new Op.Binary(BinaryKind.ADD, a, b));
 * }</pre>
 */
public sealed interface Op {
  /** {@code stablehlo.constant}. */
  record Constant(Literal value) implements Op {}

  /** {@code stablehlo.iota}: counts along {@code dimension}. */
  record Iota(TensorType type, int dimension) implements Op {}

  /** Elementwise unary math and logic. */
  record Unary(UnaryKind kind, Value operand) implements Op {}

  /** Elementwise binary math and logic; operands have equal types (no implicit broadcast). */
  record Binary(BinaryKind kind, Value lhs, Value rhs) implements Op {}

  /** {@code stablehlo.compare}; result is pred. */
  record Compare(Comparison.Direction direction, Comparison.Type compareType, Value lhs, Value rhs) implements Op {}

  /** {@code stablehlo.select}: pred is a scalar or has the operands' shape. */
  record Select(Value pred, Value onTrue, Value onFalse) implements Op {}

  /** {@code stablehlo.clamp}: min and max are scalars or have the operand's shape. */
  record Clamp(Value min, Value operand, Value max) implements Op {}

  /** {@code stablehlo.convert}: change of element type. */
  record Convert(Value operand, DType to) implements Op {}

  /** {@code stablehlo.bitcast_convert}: reinterpret bits; a width change adds/drops the last dimension. */
  record BitcastConvert(Value operand, TensorType to) implements Op {}

  /** {@code stablehlo.broadcast_in_dim}: operand dimension i maps to result dimension dims[i]. */
  record BroadcastInDim(Value operand, Shape shape, List<Integer> dims) implements Op {
    public BroadcastInDim { dims = List.copyOf(dims); }
  }

  /** {@code stablehlo.reshape}. */
  record Reshape(Value operand, Shape shape) implements Op {}

  /** {@code stablehlo.transpose}. */
  record Transpose(Value operand, List<Integer> permutation) implements Op {
    public Transpose { permutation = List.copyOf(permutation); }
  }

  /** {@code stablehlo.slice}: static start/limit/strides. */
  record Slice(Value operand, List<Long> start, List<Long> limit, List<Long> strides) implements Op {
    public Slice {
      start = List.copyOf(start);
      limit = List.copyOf(limit);
      strides = List.copyOf(strides);
    }
  }

  /** {@code stablehlo.dynamic_slice}: scalar integer start indices, static sizes. */
  record DynamicSlice(Value operand, List<Value> startIndices, List<Long> sizes) implements Op {
    public DynamicSlice {
      startIndices = List.copyOf(startIndices);
      sizes = List.copyOf(sizes);
    }
  }

  /** {@code stablehlo.dynamic_update_slice}. */
  record DynamicUpdateSlice(Value operand, Value update, List<Value> startIndices) implements Op {
    public DynamicUpdateSlice { startIndices = List.copyOf(startIndices); }
  }

  /** {@code stablehlo.concatenate}. */
  record Concatenate(List<Value> inputs, int dimension) implements Op {
    public Concatenate { inputs = List.copyOf(inputs); }
  }

  /** {@code stablehlo.pad}: edge padding may be negative; interior padding is >= 0. */
  record Pad(Value operand, Value paddingValue, List<Long> low, List<Long> high, List<Long> interior) implements Op {
    public Pad {
      low = List.copyOf(low);
      high = List.copyOf(high);
      interior = List.copyOf(interior);
    }
  }

  /** {@code stablehlo.reverse}. */
  record Reverse(Value operand, List<Integer> dimensions) implements Op {
    public Reverse { dimensions = List.copyOf(dimensions); }
  }

  /** {@code stablehlo.gather}. */
  record Gather(Value operand, Value startIndices, GatherDims dims, List<Long> sliceSizes, boolean indicesAreSorted)
      implements Op {
    public Gather { sliceSizes = List.copyOf(sliceSizes); }
  }

  /** {@code stablehlo.scatter}: {@code computation} combines (current, update) scalars per input. */
  record Scatter(List<Value> inputs, Value scatterIndices, List<Value> updates, ScatterDims dims, Block computation,
      boolean indicesAreSorted, boolean uniqueIndices) implements Op {
    public Scatter {
      inputs = List.copyOf(inputs);
      updates = List.copyOf(updates);
    }
  }

  /**
   * {@code stablehlo.dot_general}. {@code resultType} is the preferred element type of the result
   * (e.g. f32 accumulation of bf16 inputs); null means the operands' type.
   */
  record DotGeneral(Value lhs, Value rhs, DotDims dims, Precision lhsPrecision, Precision rhsPrecision, DType resultType)
      implements Op {}

  /**
   * {@code stablehlo.reduce} over several inputs at once (e.g. value+index for argmax). {@code kind} says
   * what the body computes, so passes need not match it; built without one, it is read from the body once.
   */
  record Reduce(List<Value> inputs, List<Value> inits, List<Integer> dimensions, Block body, ReduceKind kind)
      implements Op {
    public Reduce {
      inputs = List.copyOf(inputs);
      inits = List.copyOf(inits);
      dimensions = List.copyOf(dimensions);
      if (kind == null) kind = inputs.size() == 1 && body != null ? ReduceKind.of(body) : ReduceKind.CUSTOM;
    }

    public Reduce(List<Value> inputs, List<Value> inits, List<Integer> dimensions, Block body) {
      this(inputs, inits, dimensions, body, null);
    }
  }

  /** {@code stablehlo.while}: cond returns a pred scalar, body returns the next loop-carried values. */
  record While(List<Value> operands, Block cond, Block body) implements Op {
    public While { operands = List.copyOf(operands); }
  }

  /**
   * A scan of static {@code length}: for i in [0, length), {@code (carry, y) = body(carry, xs[i], consts)}; results
   * are the final carry then each y stacked along a new leading axis. The body is an isolated region whose
   * arguments are the carry, one slice of each xs (its leading axis dropped) and the consts, and which returns
   * the next carry then the step's ys; everything it reads comes in through them, so differentiation sees every
   * input. Printed as a {@code stablehlo.while} over a counter with dynamic slices and updates.
   *
   * <pre>{@code
   * List<Value> r = fb.emit(new Op.Scan(List.of(h0), List.of(rows), List.of(w), 8, body));
   * }</pre>
   */
  record Scan(List<Value> init, List<Value> xs, List<Value> consts, long length, Block body) implements Op {
    public Scan {
      init = List.copyOf(init);
      xs = List.copyOf(xs);
      consts = List.copyOf(consts);
    }
  }

  /** {@code stablehlo.if}. */
  record If(Value pred, Block thenBranch, Block elseBranch) implements Op {}

  /** {@code stablehlo.case}: branch {@code index} (clamped to the last branch when out of range). */
  record Case(Value index, List<Block> branches) implements Op {
    public Case { branches = List.copyOf(branches); }
  }

  /** {@code stablehlo.sort}: sorts all inputs together along one dimension by the comparator. */
  record Sort(List<Value> inputs, int dimension, boolean stable, Block comparator) implements Op {
    public Sort { inputs = List.copyOf(inputs); }
  }

  /**
   * {@code chlo.ragged_dot}, the grouped matmul of MoE layers: {@code lhs [m, k]} rows grouped contiguously by
   * {@code groupSizes [g]} (integer), group i multiplied by {@code rhs[i] [k, n]}, giving {@code [m, n]}; rows past
   * the last group give 0. {@code resultType} is the preferred result element type (null: the operands').
   */
  record RaggedDot(Value lhs, Value rhs, Value groupSizes, DType resultType) implements Op {}

  /** {@code chlo.top_k}: the k largest along the last dimension, with their i32 indices. */
  record TopK(Value operand, int k) implements Op {}

  /** {@code stablehlo.rng_bit_generator}: returns (new state, random bits of type {@code output}). */
  record RngBitGenerator(RngAlgorithm algorithm, Value state, TensorType output) implements Op {}

  /** {@code stablehlo.optimization_barrier}. */
  record OptimizationBarrier(List<Value> operands) implements Op {
    public OptimizationBarrier { operands = List.copyOf(operands); }
  }

  /**
   * {@code stablehlo.custom_call}. Layouts are minor-to-major lists per operand/result; empty lists
   * mean "let XLA choose".
   */
  record CustomCall(String target, List<Value> operands, List<TensorType> resultTypes, int apiVersion,
      String backendConfig, boolean hasSideEffect, List<List<Integer>> operandLayouts,
      List<List<Integer>> resultLayouts) implements Op {
    public CustomCall {
      operands = List.copyOf(operands);
      resultTypes = List.copyOf(resultTypes);
      operandLayouts = operandLayouts.stream().map(List::copyOf).toList();
      resultLayouts = resultLayouts.stream().map(List::copyOf).toList();
    }
  }

  /** {@code stablehlo.all_reduce}; {@code channelId} 0 means none. */
  record AllReduce(Value operand, List<List<Long>> replicaGroups, long channelId, boolean useGlobalDeviceIds,
      Block computation) implements Op {
    public AllReduce { replicaGroups = replicaGroups.stream().map(List::copyOf).toList(); }
  }

  /** {@code stablehlo.all_gather}: concatenates the group's operands along {@code dimension}. */
  record AllGather(Value operand, int dimension, List<List<Long>> replicaGroups, long channelId,
      boolean useGlobalDeviceIds) implements Op {
    public AllGather { replicaGroups = replicaGroups.stream().map(List::copyOf).toList(); }
  }

  /** {@code stablehlo.reduce_scatter}. */
  record ReduceScatter(Value operand, int dimension, List<List<Long>> replicaGroups, long channelId,
      boolean useGlobalDeviceIds, Block computation) implements Op {
    public ReduceScatter { replicaGroups = replicaGroups.stream().map(List::copyOf).toList(); }
  }

  /** {@code stablehlo.collective_permute}: (source, target) device pairs. */
  record CollectivePermute(Value operand, List<List<Long>> sourceTargetPairs, long channelId) implements Op {
    public CollectivePermute { sourceTargetPairs = sourceTargetPairs.stream().map(List::copyOf).toList(); }
  }

  /** {@code stablehlo.all_to_all}. */
  record AllToAll(Value operand, int splitDimension, int concatDimension, int splitCount,
      List<List<Long>> replicaGroups, long channelId) implements Op {
    public AllToAll { replicaGroups = replicaGroups.stream().map(List::copyOf).toList(); }
  }

  /** {@code stablehlo.partition_id}: ui32 scalar. */
  record PartitionId() implements Op {}

  /** {@code stablehlo.replica_id}: ui32 scalar. */
  record ReplicaId() implements Op {}

  /** {@code func.call} of another function of the module. */
  record Call(String callee, List<Value> operands, List<TensorType> resultTypes) implements Op {
    public Call {
      operands = List.copyOf(operands);
      resultTypes = List.copyOf(resultTypes);
    }
  }

  /** A sharding constraint on an intermediate value (GSPMD custom call or Shardy constraint). */
  record ShardingConstraint(Value operand, Sharding sharding) implements Op {}
}
