package org.xla4j.emit;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.xla4j.ir.BinaryKind;
import org.xla4j.ir.Block;
import org.xla4j.ir.Func;
import org.xla4j.ir.FunctionBuilder;
import org.xla4j.ir.ModuleBuilder;
import org.xla4j.ir.ScanLowering;
import org.xla4j.ir.Location;
import org.xla4j.ir.HloModule;
import org.xla4j.ir.Op;
import org.xla4j.ir.OpInfo;
import org.xla4j.ir.Operation;
import org.xla4j.ir.Value;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.Sharding;
import org.xla4j.sharding.ShardingFormat;
import org.xla4j.sharding.ShardingText;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Writes a {@link HloModule} as StableHLO text in MLIR's generic op form, which both TF 2.18's parser
 * (the embedded CPU backend) and the current XLA GPU plugin read. Deterministic: the same module
 * gives byte-identical text. One exhaustive switch over {@link Op} supplies each op's attributes.
 *
 * <pre>{@code
 * String text = StableHloPrinter.print(module, EmitOptions.unsharded());
 * }</pre>
 */
public final class StableHloPrinter {
  private final EmitOptions options;
  private final MainAttributes attributes;
  private final StringBuilder out = new StringBuilder(4096);
  private final Map<Value, String> names = new IdentityHashMap<>();
  /** The mesh a replicated Shardy sharding names: one the module declares (null when it needs none). */
  private String replicatedMesh;
  /** Declared for replicated constraints in a module that names no mesh. */
  static final String EMPTY_MESH = "empty_mesh";
  private int counter;
  /** The top-level ops a scan printed as: their locations say "scan", so dumps and the viewer show one. */
  private final java.util.Set<Op> scanParts = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

  private StableHloPrinter(EmitOptions options, MainAttributes attributes) {
    this.options = options;
    this.attributes = attributes;
  }

  /**
   * The module as StableHLO text. Sharded text states as many partitions as the meshes span; nothing is
   * donated. A {@code Program} prints through {@link #print(HloModule, EmitOptions, MainAttributes)}.
   */
  public static String print(HloModule m, EmitOptions options) {
    return print(m, options, MainAttributes.counts(m.meshDevices(), 1));
  }

  /** The module as StableHLO text with the given counts and donation attributes on {@code @main}. */
  public static String print(HloModule m, EmitOptions options, MainAttributes attributes) {
    return new StableHloPrinter(options, attributes).module(m);
  }

  private String module(HloModule m) {
    boolean sharded = options.sharding() != ShardingFormat.NONE;
    int partitions = sharded ? attributes.numPartitions() : 1;
    int replicas = sharded ? attributes.numReplicas() : 1;
    out.append("module @").append(m.name()).append(" attributes {mhlo.num_partitions = ")
        .append(AttrText.i32(partitions)).append(", mhlo.num_replicas = ").append(AttrText.i32(replicas)).append("} {\n");
    if (options.sharding() == ShardingFormat.SHARDY) {
      Map<String, Mesh> meshes = m.meshes();
      for (Mesh mesh : meshes.values()) {
        out.append("  sdy.mesh @").append(mesh.name()).append(" = ").append(ShardingText.shardyMesh(mesh)).append('\n');
      }
      replicatedMesh = meshes.isEmpty() ? null : meshes.keySet().iterator().next();
      if (replicatedMesh == null && hasShardingConstraint(m)) {
        // a replicated constraint must name a declared mesh; with none in the module, declare one
        // without axes (on which every value is replicated)
        replicatedMesh = EMPTY_MESH;
        out.append("  sdy.mesh @").append(EMPTY_MESH).append(" = <[]>\n");
      }
    }
    for (Func f : m.functions()) function(f);
    out.append("}\n");
    return out.toString();
  }

  private static boolean hasShardingConstraint(HloModule m) {
    for (Func f : m.functions()) if (hasShardingConstraint(f.body())) return true;
    return false;
  }

  private static boolean hasShardingConstraint(Block b) {
    for (Operation op : b.ops()) {
      if (op.op() instanceof Op.ShardingConstraint) return true;
      for (Block r : OpInfo.regions(op.op())) if (hasShardingConstraint(r)) return true;
    }
    return false;
  }

  private void function(Func f) {
    names.clear();
    counter = 0;
    out.append("  func.func ").append(f.isPublic() ? "public" : "private").append(" @").append(f.name()).append('(');
    List<Value> args = f.body().args();
    boolean entry = f.name().equals("main");
    for (int i = 0; i < args.size(); i++) {
      String n = "%arg" + i;
      names.put(args.get(i), n);
      out.append(i == 0 ? "" : ", ").append(n).append(": ").append(args.get(i).type().mlir());
      List<String> attrs = new ArrayList<>(2);
      shardingAttr(f.argShardings().get(i), args.get(i).type(), attrs);
      if (entry) donationAttr(i, attrs);
      attrDict(attrs);
    }
    out.append(") -> (");
    for (int i = 0; i < f.resultTypes().size(); i++) {
      out.append(i == 0 ? "" : ", ").append(f.resultTypes().get(i).mlir());
      List<String> attrs = new ArrayList<>(1);
      shardingAttr(f.resultShardings().get(i), f.resultTypes().get(i), attrs);
      attrDict(attrs);
    }
    out.append(") {\n");
    blockBody(f.body(), "    ", "func.return");
    out.append("  }\n");
  }

  private void shardingAttr(Sharding s, TensorType t, List<String> attrs) {
    if (s == null) return;
    switch (options.sharding()) {
      case NONE -> { }
      case GSPMD -> attrs.add("mhlo.sharding = " + AttrText.string(ShardingText.gspmd(s, t.rank())));
      case SHARDY -> {
        if (s instanceof Sharding.Named || replicatedMesh != null) {
          attrs.add("sdy.sharding = " + ShardingText.shardy(s, t.rank(), replicatedMesh));
        }
      }
    }
  }

  /** The attributes XLA reads for donation, as JAX writes them for {@code jax.jit(f, donate_argnums=...)}. */
  private void donationAttr(int arg, List<String> attrs) {
    Integer result = attributes.aliasedOutputs().get(arg);
    if (result != null) attrs.add("tf.aliasing_output = " + AttrText.i32(result));
    else if (attributes.bufferDonors().contains(arg)) attrs.add("jax.buffer_donor = true");
  }

  private void attrDict(List<String> attrs) {
    if (!attrs.isEmpty()) out.append(" {").append(String.join(", ", attrs)).append('}');
  }

  private void blockBody(Block b, String indent, String terminator) {
    for (Operation op : b.ops()) operation(op, indent);
    List<Value> ret = b.returned();
    out.append(indent).append('"').append(terminator).append("\"(").append(uses(ret)).append(") : (")
        .append(typeList(ret)).append(") -> ()\n");
  }

  private void operation(Operation o, String indent) {
    Op op = o.op();
    if (op instanceof Op.ShardingConstraint sc && options.sharding() == ShardingFormat.NONE) {
      names.put(o.results().get(0), name(sc.operand())); // a no-op on one device
      return;
    }
    if (op instanceof Op.Scan sc) {
      scan(o, sc, indent);
      return;
    }
    List<Value> results = o.results();
    String base = "%" + counter++;
    if (results.size() == 1) names.put(results.get(0), base);
    else for (int i = 0; i < results.size(); i++) names.put(results.get(i), base + "#" + i);
    out.append(indent);
    if (results.size() == 1) out.append(base).append(" = ");
    else if (results.size() > 1) out.append(base).append(':').append(results.size()).append(" = ");
    List<Value> operands = OpInfo.operands(op);
    String opName = printedName(op);
    out.append('"').append(opName).append("\"(").append(uses(operands)).append(')');
    String props = properties(op);
    if (!props.isEmpty()) out.append(" <{").append(props).append("}>");
    List<Block> regions = OpInfo.regions(op);
    if (!regions.isEmpty()) {
      out.append(" (");
      for (int i = 0; i < regions.size(); i++) {
        out.append(i == 0 ? "{\n" : ", {\n");
        region(regions.get(i), indent + "  ");
        out.append(indent).append('}');
      }
      out.append(')');
    }
    String attrs = discardable(op);
    if (!attrs.isEmpty()) out.append(" {").append(attrs).append('}');
    out.append(" : (").append(typeList(operands)).append(") -> ");
    if (results.size() == 1) out.append(results.get(0).type().mlir());
    else out.append('(').append(typeList(results)).append(')');
    if (options.locations()) out.append(' ').append(location(o.location(), op));
    out.append('\n');
  }

  /**
   * A scan prints as the while loop {@link ScanLowering} builds for it: built in a scratch function whose
   * arguments stand for the scan's operands (they print under the operands' names), its ops printed in place.
   */
  private void scan(Operation o, Op.Scan sc, String indent) {
    FunctionBuilder fb = new ModuleBuilder("scan_lowering").function("lowered");
    List<Value> operands = OpInfo.operands(sc);
    List<Value> args = new ArrayList<>();
    for (Value v : operands) args.add(fb.arg(v.type()));
    int ni = sc.init().size();
    int nx = sc.xs().size();
    List<Value> results = ScanLowering.lower(fb, sc, args.subList(0, ni), args.subList(ni, ni + nx),
        args.subList(ni + nx, args.size()));
    Func f = fb.ret(results.toArray(Value[]::new));
    for (int i = 0; i < args.size(); i++) names.put(args.get(i), name(operands.get(i)));
    for (Operation op : f.body().ops()) {
      scanParts.add(op.op());
      operation(new Operation(op.op(), op.results(), o.location()), indent);
    }
    for (int i = 0; i < results.size(); i++) names.put(o.results().get(i), name(results.get(i)));
  }

  private void region(Block b, String indent) {
    if (!b.args().isEmpty()) {
      out.append(indent).append("^bb0(");
      for (int i = 0; i < b.args().size(); i++) {
        Value a = b.args().get(i);
        String n = "%" + counter++;
        names.put(a, n);
        out.append(i == 0 ? "" : ", ").append(n).append(": ").append(a.type().mlir());
      }
      out.append("):\n");
    }
    blockBody(b, indent + "  ", "stablehlo.return");
  }

  private String printedName(Op op) {
    // StableHLO defines add on i1 as logical or; TF 2.18's XLA CPU computes xor for it, so say "or".
    if (op instanceof Op.Binary b && b.kind() == BinaryKind.ADD && b.lhs().type().dtype() == DType.PRED) {
      return BinaryKind.OR.opName();
    }
    if (op instanceof Op.ShardingConstraint) {
      return options.sharding() == ShardingFormat.SHARDY ? "sdy.sharding_constraint" : "stablehlo.custom_call";
    }
    return OpInfo.name(op);
  }

  /** Inherent attributes, printed inside {@code <{...}>}. */
  private String properties(Op op) {
    List<String> p = new ArrayList<>();
    switch (op) {
      case Op.Constant c -> p.add("value = " + AttrText.dense(c.value()));
      case Op.Iota i -> p.add("iota_dimension = " + AttrText.i64(i.dimension()));
      case Op.Unary u -> { }
      case Op.Binary b -> { }
      case Op.Compare c -> {
        p.add("comparison_direction = #stablehlo<comparison_direction " + c.direction() + ">");
        p.add("compare_type = #stablehlo<comparison_type " + c.compareType() + ">");
      }
      case Op.Select s -> { }
      case Op.Clamp c -> { }
      case Op.Convert c -> { }
      case Op.BitcastConvert b -> { }
      case Op.BroadcastInDim b -> p.add("broadcast_dimensions = " + AttrText.i64Array(b.dims()));
      case Op.Reshape r -> { }
      case Op.Transpose t -> p.add("permutation = " + AttrText.i64Array(t.permutation()));
      case Op.Slice s -> {
        p.add("start_indices = " + AttrText.i64Array(s.start()));
        p.add("limit_indices = " + AttrText.i64Array(s.limit()));
        p.add("strides = " + AttrText.i64Array(s.strides()));
      }
      case Op.DynamicSlice s -> p.add("slice_sizes = " + AttrText.i64Array(s.sizes()));
      case Op.DynamicUpdateSlice s -> { }
      case Op.Concatenate c -> p.add("dimension = " + AttrText.i64(c.dimension()));
      case Op.Pad pd -> {
        p.add("edge_padding_low = " + AttrText.i64Array(pd.low()));
        p.add("edge_padding_high = " + AttrText.i64Array(pd.high()));
        p.add("interior_padding = " + AttrText.i64Array(pd.interior()));
      }
      case Op.Reverse r -> p.add("dimensions = " + AttrText.i64Array(r.dimensions()));
      case Op.Gather g -> {
        var d = g.dims();
        StringBuilder sb = new StringBuilder("dimension_numbers = #stablehlo.gather<");
        List<String> f = new ArrayList<>();
        if (!d.offsetDims().isEmpty()) f.add("offset_dims = " + AttrText.intList(d.offsetDims()));
        if (!d.collapsedSliceDims().isEmpty()) f.add("collapsed_slice_dims = " + AttrText.intList(d.collapsedSliceDims()));
        if (!d.operandBatchingDims().isEmpty()) f.add("operand_batching_dims = " + AttrText.intList(d.operandBatchingDims()));
        if (!d.startIndicesBatchingDims().isEmpty()) {
          f.add("start_indices_batching_dims = " + AttrText.intList(d.startIndicesBatchingDims()));
        }
        if (!d.startIndexMap().isEmpty()) f.add("start_index_map = " + AttrText.intList(d.startIndexMap()));
        f.add("index_vector_dim = " + d.indexVectorDim());
        p.add(sb.append(String.join(", ", f)).append('>').toString());
        p.add("indices_are_sorted = " + AttrText.bool(g.indicesAreSorted()));
        p.add("slice_sizes = " + AttrText.i64Array(g.sliceSizes()));
      }
      case Op.Scatter s -> {
        var d = s.dims();
        List<String> f = new ArrayList<>();
        if (!d.updateWindowDims().isEmpty()) f.add("update_window_dims = " + AttrText.intList(d.updateWindowDims()));
        if (!d.insertedWindowDims().isEmpty()) f.add("inserted_window_dims = " + AttrText.intList(d.insertedWindowDims()));
        if (!d.inputBatchingDims().isEmpty()) f.add("input_batching_dims = " + AttrText.intList(d.inputBatchingDims()));
        if (!d.scatterIndicesBatchingDims().isEmpty()) {
          f.add("scatter_indices_batching_dims = " + AttrText.intList(d.scatterIndicesBatchingDims()));
        }
        if (!d.scatterDimsToOperandDims().isEmpty()) {
          f.add("scatter_dims_to_operand_dims = " + AttrText.intList(d.scatterDimsToOperandDims()));
        }
        f.add("index_vector_dim = " + d.indexVectorDim());
        p.add("indices_are_sorted = " + AttrText.bool(s.indicesAreSorted()));
        p.add("scatter_dimension_numbers = #stablehlo.scatter<" + String.join(", ", f) + ">");
        p.add("unique_indices = " + AttrText.bool(s.uniqueIndices()));
      }
      case Op.DotGeneral d -> {
        var n = d.dims();
        List<String> f = new ArrayList<>();
        if (!n.lhsBatch().isEmpty()) f.add("lhs_batching_dimensions = " + AttrText.intList(n.lhsBatch()));
        if (!n.rhsBatch().isEmpty()) f.add("rhs_batching_dimensions = " + AttrText.intList(n.rhsBatch()));
        f.add("lhs_contracting_dimensions = " + AttrText.intList(n.lhsContracting()));
        f.add("rhs_contracting_dimensions = " + AttrText.intList(n.rhsContracting()));
        p.add("dot_dimension_numbers = #stablehlo.dot<" + String.join(", ", f) + ">");
        p.add("precision_config = [#stablehlo<precision " + d.lhsPrecision() + ">, #stablehlo<precision "
            + d.rhsPrecision() + ">]");
      }
      case Op.Reduce r -> p.add("dimensions = " + AttrText.i64Array(r.dimensions()));
      case Op.While w -> { }
      case Op.Scan sc -> throw new IllegalStateException("a scan prints as the while loop ScanLowering builds");
      case Op.If i -> { }
      case Op.Case c -> { }
      case Op.Sort s -> {
        p.add("dimension = " + AttrText.i64(s.dimension()));
        p.add("is_stable = " + AttrText.bool(s.stable()));
      }
      case Op.TopK t -> p.add("k = " + AttrText.i64(t.k()));
      case Op.RaggedDot r -> {
        p.add("precision_config = [#chlo<precision DEFAULT>, #chlo<precision DEFAULT>]");
        p.add("ragged_dot_dimension_numbers = #chlo.ragged_dot<lhs_batching_dimensions = [], rhs_batching_dimensions = [], "
            + "lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0], "
            + "rhs_group_dimensions = [0]>");
      }
      case Op.RngBitGenerator r -> p.add("rng_algorithm = #stablehlo<rng_algorithm " + r.algorithm() + ">");
      case Op.OptimizationBarrier b -> { }
      case Op.CustomCall c -> {
        p.add("api_version = " + AttrText.i32(c.apiVersion()));
        if (c.backendConfig() != null && !c.backendConfig().isEmpty()) {
          // api_version 4 (typed FFI) takes a dictionary; older versions an opaque string.
          p.add("backend_config = " + (c.apiVersion() == 4 ? c.backendConfig() : AttrText.string(c.backendConfig())));
        }
        p.add("call_target_name = " + AttrText.string(c.target()));
        if (c.hasSideEffect()) p.add("has_side_effect = true");
        if (!c.operandLayouts().isEmpty()) {
          p.add("operand_layouts = [" + String.join(", ", c.operandLayouts().stream().map(AttrText::layout).toList()) + "]");
        }
        if (!c.resultLayouts().isEmpty()) {
          p.add("result_layouts = [" + String.join(", ", c.resultLayouts().stream().map(AttrText::layout).toList()) + "]");
        }
      }
      case Op.AllReduce a -> collective(p, a.replicaGroups(), a.channelId(), a.useGlobalDeviceIds());
      case Op.AllGather a -> {
        p.add("all_gather_dim = " + AttrText.i64(a.dimension()));
        collective(p, a.replicaGroups(), a.channelId(), a.useGlobalDeviceIds());
      }
      case Op.ReduceScatter a -> {
        p.add("scatter_dimension = " + AttrText.i64(a.dimension()));
        collective(p, a.replicaGroups(), a.channelId(), a.useGlobalDeviceIds());
      }
      case Op.CollectivePermute c -> {
        if (c.channelId() > 0) p.add(channel(c.channelId()));
        p.add("source_target_pairs = " + AttrText.i64Matrix(c.sourceTargetPairs()));
      }
      case Op.AllToAll a -> {
        if (a.channelId() > 0) p.add(channel(a.channelId()));
        p.add("concat_dimension = " + AttrText.i64(a.concatDimension()));
        p.add("replica_groups = " + AttrText.i64Matrix(a.replicaGroups()));
        p.add("split_count = " + AttrText.i64(a.splitCount()));
        p.add("split_dimension = " + AttrText.i64(a.splitDimension()));
      }
      case Op.PartitionId pid -> { }
      case Op.ReplicaId rid -> { }
      case Op.Call c -> p.add("callee = @" + c.callee());
      case Op.ShardingConstraint s -> {
        if (options.sharding() == ShardingFormat.SHARDY) {
          p.add("sharding = " + ShardingText.shardy(s.sharding(), s.operand().type().rank(), replicatedMesh));
        } else {
          p.add("call_target_name = \"Sharding\"");
        }
      }
    }
    return String.join(", ", p);
  }

  private static void collective(List<String> p, List<List<Long>> groups, long channelId, boolean global) {
    if (channelId > 0) p.add(channel(channelId));
    p.add("replica_groups = " + AttrText.i64Matrix(groups));
    if (global) p.add("use_global_device_ids");
  }

  private static String channel(long id) {
    return "channel_handle = #stablehlo.channel_handle<handle = " + id + ", type = 1>";
  }

  /** Discardable attributes, printed after the regions in {@code {...}}. */
  private String discardable(Op op) {
    if (op instanceof Op.ShardingConstraint s && options.sharding() == ShardingFormat.GSPMD) {
      return "mhlo.sharding = " + AttrText.string(ShardingText.gspmd(s.sharding(), s.operand().type().rank()));
    }
    return "";
  }

  /**
   * The op's location as XLA reads it into HLO op metadata: the name of a NameLoc becomes
   * {@code op_name} (our scope path plus the op's kind, as JAX's name stack does), the FileLineColLoc
   * inside it {@code source_file} and {@code source_line}.
   */
  private String location(Location loc, Op op) {
    String kind = scanParts.contains(op) ? "xla4j.scan" : printedName(op);
    String label = (loc.scope().isEmpty() ? "" : loc.scope() + "/") + kind.substring(kind.indexOf('.') + 1);
    return "loc(" + AttrText.string(label) + "(" + AttrText.string(loc.file()) + ":" + loc.line() + ":0))";
  }

  private String name(Value v) {
    String n = names.get(v);
    if (n == null) throw new IllegalStateException("printer: value " + v + " used before its definition");
    return n;
  }

  private String uses(List<Value> vs) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < vs.size(); i++) sb.append(i == 0 ? "" : ", ").append(name(vs.get(i)));
    return sb.toString();
  }

  private static String typeList(List<Value> vs) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < vs.size(); i++) sb.append(i == 0 ? "" : ", ").append(vs.get(i).type().mlir());
    return sb.toString();
  }
}
