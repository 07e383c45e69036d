package org.xla4j.runtime.pjrt;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.ConvolutionDimensionNumbers;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.DotDimensionNumbers;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.FrontendAttributes;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloComputationProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloInputOutputAliasProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloInstructionProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloModuleConfigProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloModuleProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloModuleProtoWithConfig;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.OpMetadata;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.OutputOperandAliasing;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.PrecisionConfig;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.PrimitiveType;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.ShapeProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.SourceTarget;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.Window;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.WindowDimension;

/**
 * Prints an HLO module proto as XLA's HLO text ({@code HloModule::ToString} with its default options),
 * so the optimized program a PJRT plugin returns ({@code PJRT_Executable_OptimizedProgram}, format
 * {@code hlo_with_config} or {@code hlo}) reads as XLA's own dump does, without compiling again:
 * the module line with its entry computation layout, each computation as
 * {@code %name (params) -> shape {}} with {@code ROOT} on its root, called computations before their
 * callers and {@code ENTRY} last, instructions as {@code %name = f32[8,16]{1,0} opcode(f32[16]{0} %x), attr=...}
 * with their metadata, shardings and backend configs.
 *
 * <pre>{@code
 * PjrtExecutable.OptimizedProgram p = exe.optimizedProgram();
 * String hlo = HloText.print(p.format(), p.code());
 * HloSummary s = HloSummary.read(hlo);
 * }</pre>
 */
public final class HloText {
  private HloText() {}

  /** Whether {@link #print(String, byte[])} reads an optimized program of this format. */
  public static boolean supports(String format) {
    return format.equals("hlo_with_config") || format.equals("hlo");
  }

  /**
   * The text of an optimized program as a plugin returns it.
   *
   * @param format {@code hlo_with_config} (a serialized HloModuleProtoWithConfig) or {@code hlo} (an HloModuleProto)
   * @throws IllegalArgumentException for another format or bytes that are not such a proto
   */
  public static String print(String format, byte[] code) {
    try {
      return switch (format) {
        case "hlo_with_config" -> print(HloModuleProtoWithConfig.parseFrom(code));
        case "hlo" -> print(HloModuleProto.parseFrom(code), HloModuleConfigProto.getDefaultInstance());
        default -> throw new IllegalArgumentException("HloText.print: optimized program format '" + format
            + "' is not HLO (expected hlo_with_config or hlo)");
      };
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("HloText.print: " + code.length + " bytes of format '" + format
          + "' are not a serialized " + (format.equals("hlo") ? "HloModuleProto" : "HloModuleProtoWithConfig")
          + ": " + e.getMessage(), e);
    }
  }

  /** The text of a serialized HloModuleProtoWithConfig (PJRT's {@code hlo_with_config}). */
  public static String print(byte[] hloModuleProtoWithConfig) { return print("hlo_with_config", hloModuleProtoWithConfig); }

  /** The text of a module with its config. */
  public static String print(HloModuleProtoWithConfig m) { return print(m.getHloModule(), m.getConfig()); }

  /** The text of a module; the config adds the entry layout, replica/partition counts and SPMD flags. */
  public static String print(HloModuleProto m, HloModuleConfigProto config) {
    return new Printer(m).module(config);
  }

  /** One module's names and ids, resolved once. */
  private static final class Printer {
    private final HloModuleProto m;
    private final Map<Long, String> computationNames = new HashMap<>();
    private final StringBuilder out = new StringBuilder();

    Printer(HloModuleProto m) {
      this.m = m;
      for (HloComputationProto c : m.getComputationsList()) computationNames.put(c.getId(), c.getName());
    }

    String module(HloModuleConfigProto config) {
      out.append("HloModule ").append(m.getName());
      if (m.hasSchedule() && m.getSchedule().getSequencesCount() > 0) out.append(", is_scheduled=true");
      if (m.getInputOutputAlias().getEntriesCount() > 0) out.append(", input_output_alias=").append(aliases(m.getInputOutputAlias()));
      var layout = config.hasEntryComputationLayout() ? config.getEntryComputationLayout() : m.getHostProgramShape();
      if (config.hasEntryComputationLayout() || m.hasHostProgramShape()) {
        out.append(", entry_computation_layout={").append(HloShapes.programShape(layout)).append('}');
      }
      appendBools("allow_spmd_sharding_propagation_to_parameters", config.getAllowSpmdShardingPropagationToParametersList());
      appendBools("allow_spmd_sharding_propagation_to_output", config.getAllowSpmdShardingPropagationToOutputList());
      if (config.getReplicaCount() > 1) out.append(", replica_count=").append(config.getReplicaCount());
      if (config.getNumPartitions() > 1) out.append(", num_partitions=").append(config.getNumPartitions());
      if (m.getFrontendAttributes().getMapCount() > 0) {
        out.append(", frontend_attributes=").append(frontendAttributes(m.getFrontendAttributes()));
      }
      out.append("\n\n");
      // callees come before callers in the proto; the entry goes last, as XLA prints it
      HloComputationProto entry = null;
      for (HloComputationProto c : m.getComputationsList()) {
        if (isEntry(c)) {
          entry = c;
        } else {
          computation(c, false);
        }
      }
      if (entry != null) computation(entry, true);
      return out.toString();
    }

    private boolean isEntry(HloComputationProto c) {
      return m.getEntryComputationId() != 0 || m.getEntryComputationName().isEmpty()
          ? c.getId() == m.getEntryComputationId() : c.getName().equals(m.getEntryComputationName());
    }

    private void appendBools(String key, List<Boolean> xs) {
      if (!xs.contains(true)) return;
      List<String> parts = new ArrayList<>();
      for (boolean x : xs) parts.add(Boolean.toString(x));
      out.append(", ").append(key).append("={").append(String.join(",", parts)).append('}');
    }

    private static String aliases(HloInputOutputAliasProto a) {
      List<String> parts = new ArrayList<>();
      for (var e : a.getEntriesList()) {
        parts.add(HloShapes.index(e.getOutputShapeIndexList()) + ": (" + e.getParameterNumber() + ", "
            + HloShapes.index(e.getParameterShapeIndexList()) + ", "
            + (e.getKind() == org.xla4j.runtime.pjrt.proto.HloModuleProtos.Kind.MUST_ALIAS ? "must-alias" : "may-alias") + ")");
      }
      return "{ " + String.join(", ", parts) + " }";
    }

    private void computation(HloComputationProto c, boolean entry) {
      Map<Long, HloInstructionProto> byId = new HashMap<>();
      for (HloInstructionProto i : c.getInstructionsList()) byId.put(i.getId(), i);
      List<HloInstructionProto> params = c.getInstructionsList().stream()
          .filter(i -> i.getOpcode().equals("parameter"))
          .sorted(Comparator.comparingLong(HloInstructionProto::getParameterNumber)).toList();
      HloInstructionProto root = byId.get(c.getRootId());
      if (root == null && c.getInstructionsCount() > 0) root = c.getInstructions(c.getInstructionsCount() - 1);
      if (entry) out.append("ENTRY ");
      out.append('%').append(c.getName()).append(" (");
      for (int k = 0; k < params.size(); k++) {
        if (k > 0) out.append(", ");
        out.append(params.get(k).getName()).append(": ").append(HloShapes.noLayout(params.get(k).getShape()));
      }
      out.append(") -> ").append(root == null ? "()" : HloShapes.noLayout(root.getShape())).append(" {\n");
      for (HloInstructionProto i : order(c, byId)) {
        out.append("  ");
        if (i == root) out.append("ROOT ");
        out.append(instruction(i, byId)).append('\n');
      }
      out.append('}');
      String thread = c.getExecutionThread();
      if (!thread.isEmpty() && !thread.equals("main")) out.append(", execution_thread=\"").append(HloShapes.escape(thread)).append('"');
      out.append("\n\n");
    }

    /** The module's schedule for this computation where it names every instruction; else the proto's order. */
    private List<HloInstructionProto> order(HloComputationProto c, Map<Long, HloInstructionProto> byId) {
      var seq = m.getSchedule().getSequencesMap().get(c.getId());
      if (seq == null || seq.getInstructionIdsCount() != c.getInstructionsCount()) return c.getInstructionsList();
      List<HloInstructionProto> out = new ArrayList<>();
      for (long id : seq.getInstructionIdsList()) {
        HloInstructionProto i = byId.get(id);
        if (i == null) return c.getInstructionsList();
        out.add(i);
      }
      return out;
    }

    private String instruction(HloInstructionProto i, Map<Long, HloInstructionProto> byId) {
      StringBuilder b = new StringBuilder();
      b.append('%').append(i.getName()).append(" = ").append(HloShapes.withLayout(i.getShape())).append(' ')
          .append(i.getOpcode()).append('(');
      switch (i.getOpcode()) {
        case "parameter" -> b.append(i.getParameterNumber());
        case "constant" -> b.append(HloLiterals.print(i.getLiteral()));
        default -> {
          for (int k = 0; k < i.getOperandIdsCount(); k++) {
            if (k > 0) b.append(", ");
            HloInstructionProto o = byId.get(i.getOperandIds(k));
            b.append(o == null ? "%<unknown id " + i.getOperandIds(k) + ">" : HloShapes.withLayout(o.getShape()) + " %" + o.getName());
          }
        }
      }
      b.append(')');
      List<String> attrs = new ArrayList<>();
      opcodeAttributes(i, byId, attrs);
      calledComputations(i, byId, attrs);
      if (i.hasSharding()) attrs.add("sharding=" + HloShapes.sharding(i.getSharding()));
      if (i.getControlPredecessorIdsCount() > 0) {
        List<String> preds = new ArrayList<>();
        for (long id : i.getControlPredecessorIdsList()) preds.add("%" + (byId.containsKey(id) ? byId.get(id).getName() : "<unknown id " + id + ">"));
        attrs.add("control-predecessors={" + String.join(", ", preds) + "}");
      }
      if (i.getFrontendAttributes().getMapCount() > 0) attrs.add("frontend_attributes=" + frontendAttributes(i.getFrontendAttributes()));
      String md = metadata(i.getMetadata());
      if (!md.isEmpty()) attrs.add("metadata={" + md + "}");
      if (!i.getBackendConfig().isEmpty()) attrs.add("backend_config=" + backendConfig(i.getBackendConfig().toByteArray()));
      for (String a : attrs) b.append(", ").append(a);
      return b.toString();
    }

    /** The attributes XLA prints before the called computations, by opcode. */
    private void opcodeAttributes(HloInstructionProto i, Map<Long, HloInstructionProto> byId, List<String> a) {
      String op = i.getOpcode();
      switch (op) {
        case "fusion" -> {
          a.add("kind=" + i.getFusionKind());
          aliasing(i, a);
        }
        case "broadcast", "transpose", "reverse", "concatenate", "reduce", "get-dimension-size", "set-dimension-size" ->
            a.add(dims("dimensions", i.getDimensionsList()));
        case "sort" -> {
          a.add(dims("dimensions", i.getDimensionsList()));
          if (i.getIsStable()) a.add("is_stable=true");
        }
        case "iota" -> a.add("iota_dimension=" + (i.getDimensionsCount() > 0 ? i.getDimensions(0) : 0));
        case "get-tuple-element" -> a.add("index=" + i.getTupleIndex());
        case "slice" -> {
          List<String> parts = new ArrayList<>();
          for (var d : i.getSliceDimensionsList()) {
            parts.add("[" + d.getStart() + ":" + d.getLimit() + (d.getStride() != 1 ? ":" + d.getStride() : "") + "]");
          }
          a.add("slice={" + String.join(", ", parts) + "}");
        }
        case "dynamic-slice" -> a.add(dims("dynamic_slice_sizes", i.getDynamicSliceSizesList()));
        case "pad" -> {
          List<String> parts = new ArrayList<>();
          for (var d : i.getPaddingConfig().getDimensionsList()) {
            parts.add(d.getEdgePaddingLow() + "_" + d.getEdgePaddingHigh()
                + (d.getInteriorPadding() != 0 ? "_" + d.getInteriorPadding() : ""));
          }
          a.add("padding=" + String.join("x", parts));
        }
        case "dot" -> {
          dotDims(i.getDotDimensionNumbers(), a);
          precision(i.getPrecisionConfig(), a);
        }
        case "convolution" -> {
          convolution(i, a);
          precision(i.getPrecisionConfig(), a);
        }
        case "reduce-window", "select-and-scatter" -> {
          if (i.hasWindow()) a.add("window={" + window(i.getWindow()) + "}");
        }
        case "compare" -> {
          a.add("direction=" + i.getComparisonDirection());
          String type = i.getComparisonType();
          if (!type.isEmpty() && !type.equals(defaultComparison(i, byId))) a.add("type=" + type);
        }
        case "custom-call" -> customCall(i, a);
        case "gather" -> {
          var g = i.getGatherDimensionNumbers();
          a.add(dims("offset_dims", g.getOffsetDimsList()));
          a.add(dims("collapsed_slice_dims", g.getCollapsedSliceDimsList()));
          if (g.getOperandBatchingDimsCount() > 0) a.add(dims("operand_batching_dims", g.getOperandBatchingDimsList()));
          if (g.getStartIndicesBatchingDimsCount() > 0) a.add(dims("start_indices_batching_dims", g.getStartIndicesBatchingDimsList()));
          a.add(dims("start_index_map", g.getStartIndexMapList()));
          a.add("index_vector_dim=" + g.getIndexVectorDim());
          a.add(dims("slice_sizes", i.getGatherSliceSizesList()));
          if (i.getIndicesAreSorted()) a.add("indices_are_sorted=true");
        }
        case "scatter" -> {
          var s = i.getScatterDimensionNumbers();
          a.add(dims("update_window_dims", s.getUpdateWindowDimsList()));
          a.add(dims("inserted_window_dims", s.getInsertedWindowDimsList()));
          if (s.getInputBatchingDimsCount() > 0) a.add(dims("input_batching_dims", s.getInputBatchingDimsList()));
          if (s.getScatterIndicesBatchingDimsCount() > 0) a.add(dims("scatter_indices_batching_dims", s.getScatterIndicesBatchingDimsList()));
          a.add(dims("scatter_dims_to_operand_dims", s.getScatterDimsToOperandDimsList()));
          a.add("index_vector_dim=" + s.getIndexVectorDim());
          if (i.getIndicesAreSorted()) a.add("indices_are_sorted=true");
          if (i.getUniqueIndices()) a.add("unique_indices=true");
        }
        case "reduce-precision" -> {
          a.add("exponent_bits=" + i.getExponentBits());
          a.add("mantissa_bits=" + i.getMantissaBits());
        }
        case "rng" -> a.add("distribution=" + i.getDistribution().name().toLowerCase(Locale.ROOT));
        case "fft" -> {
          a.add("fft_type=" + i.getFftType().name());
          a.add(dims("fft_length", i.getFftLengthList()));
        }
        case "batch-norm-training", "batch-norm-inference", "batch-norm-grad" -> {
          a.add("epsilon=" + HloLiterals.fp(i.getEpsilon(), HloLiterals.Fp.F32));
          a.add("feature_index=" + i.getFeatureIndex());
        }
        case "topk" -> {
          a.add("k=" + i.getK());
          if (i.getLargest()) a.add("largest=true");
        }
        case "all-reduce", "all-reduce-start", "reduce-scatter", "all-gather", "all-gather-start", "all-to-all",
             "ragged-all-to-all", "collective-broadcast" -> {
          channel(i, a);
          a.add("replica_groups=" + HloShapes.replicaGroups(i.getCollectiveDeviceList(), legacyGroups(i)));
          if (!op.startsWith("all-reduce") && !op.equals("collective-broadcast") && i.getDimensionsCount() > 0) {
            a.add(dims("dimensions", i.getDimensionsList()));
          }
          if (i.getUseGlobalDeviceIds()) a.add("use_global_device_ids=true");
        }
        case "collective-permute", "collective-permute-start" -> {
          channel(i, a);
          List<String> pairs = new ArrayList<>();
          for (SourceTarget p : i.getSourceTargetPairsList()) pairs.add("{" + p.getSource() + "," + p.getTarget() + "}");
          a.add("source_target_pairs={" + String.join(",", pairs) + "}");
        }
        case "send", "recv", "send-done", "recv-done" -> {
          channel(i, a);
          if (i.getIsHostTransfer()) a.add("is_host_transfer=true");
        }
        default -> { }
      }
    }

    private static void channel(HloInstructionProto i, List<String> a) {
      if (i.getChannelId() > 0) a.add("channel_id=" + i.getChannelId());
    }

    private static List<List<Long>> legacyGroups(HloInstructionProto i) {
      List<List<Long>> g = new ArrayList<>();
      i.getReplicaGroupsList().forEach(r -> g.add(r.getReplicaIdsList()));
      return g;
    }

    private void customCall(HloInstructionProto i, List<String> a) {
      if (i.hasWindow()) a.add("window={" + window(i.getWindow()) + "}");
      if (i.hasConvolutionDimensionNumbers()) a.add("dim_labels=" + dimLabels(i.getConvolutionDimensionNumbers()));
      a.add("custom_call_target=\"" + HloShapes.escape(i.getCustomCallTarget()) + "\"");
      if (i.getConstrainLayout()) {
        List<String> shapes = new ArrayList<>();
        for (ShapeProto s : i.getOperandShapesWithLayoutList()) shapes.add(HloShapes.withLayout(s));
        a.add("operand_layout_constraints={" + String.join(", ", shapes) + "}");
      }
      if (i.getCustomCallHasSideEffect()) a.add("custom_call_has_side_effect=true");
      aliasing(i, a);
      switch (i.getCustomCallSchedule()) {
        case SCHEDULE_LATEST, SCHEDULE_EARLIEST -> a.add("schedule=" + i.getCustomCallSchedule().name());
        case SCHEDULE_NONE, UNRECOGNIZED -> { }
      }
      switch (i.getCustomCallApiVersion()) {
        case API_VERSION_STATUS_RETURNING, API_VERSION_STATUS_RETURNING_UNIFIED, API_VERSION_TYPED_FFI ->
            a.add("api_version=" + i.getCustomCallApiVersion().name());
        case API_VERSION_UNSPECIFIED, API_VERSION_ORIGINAL, UNRECOGNIZED -> { }
      }
    }

    private static void aliasing(HloInstructionProto i, List<String> a) {
      if (i.getOutputOperandAliasingCount() == 0) return;
      List<String> parts = new ArrayList<>();
      for (OutputOperandAliasing o : i.getOutputOperandAliasingList()) {
        parts.add(HloShapes.index(o.getOutputShapeIndexList()) + ": (" + o.getOperandIndex() + ", "
            + HloShapes.index(o.getOperandShapeIndexList()) + ")");
      }
      a.add("output_to_operand_aliasing={" + String.join(", ", parts) + "}");
    }

    /** The comparison type XLA leaves out: the natural one for the operands' element type. */
    private static String defaultComparison(HloInstructionProto i, Map<Long, HloInstructionProto> byId) {
      HloInstructionProto o = i.getOperandIdsCount() > 0 ? byId.get(i.getOperandIds(0)) : null;
      if (o == null) return "";
      PrimitiveType t = o.getShape().getElementType();
      String name = t.name();
      if (name.startsWith("S")) return "SIGNED";
      if (name.startsWith("U") || t == PrimitiveType.PRED) return "UNSIGNED";
      return "FLOAT";
    }

    private static void dotDims(DotDimensionNumbers d, List<String> a) {
      if (d.getLhsBatchDimensionsCount() > 0) a.add(dims("lhs_batch_dims", d.getLhsBatchDimensionsList()));
      a.add(dims("lhs_contracting_dims", d.getLhsContractingDimensionsList()));
      if (d.getRhsBatchDimensionsCount() > 0) a.add(dims("rhs_batch_dims", d.getRhsBatchDimensionsList()));
      a.add(dims("rhs_contracting_dims", d.getRhsContractingDimensionsList()));
    }

    private static void precision(PrecisionConfig p, List<String> a) {
      if (p.getOperandPrecisionList().stream().anyMatch(x -> x != PrecisionConfig.Precision.DEFAULT)) {
        List<String> parts = new ArrayList<>();
        for (var x : p.getOperandPrecisionList()) parts.add(x.name().toLowerCase(Locale.ROOT));
        a.add("operand_precision={" + String.join(",", parts) + "}");
      }
      if (p.getAlgorithm() != PrecisionConfig.Algorithm.ALG_UNSET && p.getAlgorithm() != PrecisionConfig.Algorithm.UNRECOGNIZED) {
        a.add("algorithm=" + p.getAlgorithm().name().substring("ALG_".length()).toLowerCase(Locale.ROOT));
      }
    }

    private static void convolution(HloInstructionProto i, List<String> a) {
      if (i.hasWindow()) a.add("window={" + window(i.getWindow()) + "}");
      a.add("dim_labels=" + dimLabels(i.getConvolutionDimensionNumbers()));
      if (i.getFeatureGroupCount() > 1) a.add("feature_group_count=" + i.getFeatureGroupCount());
      if (i.getBatchGroupCount() > 1) a.add("batch_group_count=" + i.getBatchGroupCount());
    }

    /** {@code size=3x3 stride=2x2 pad=1_1x1_1 lhs_dilate=.. rhs_dilate=.. rhs_reversal=..}: only what differs from the default. */
    private static String window(Window w) {
      List<WindowDimension> d = w.getDimensionsList();
      List<String> parts = new ArrayList<>();
      parts.add("size=" + join(d, x -> Long.toString(x.getSize())));
      if (d.stream().anyMatch(x -> x.getStride() != 1)) parts.add("stride=" + join(d, x -> Long.toString(x.getStride())));
      if (d.stream().anyMatch(x -> x.getPaddingLow() != 0 || x.getPaddingHigh() != 0)) {
        parts.add("pad=" + join(d, x -> x.getPaddingLow() + "_" + x.getPaddingHigh()));
      }
      if (d.stream().anyMatch(x -> x.getBaseDilation() > 1)) parts.add("lhs_dilate=" + join(d, x -> Long.toString(x.getBaseDilation())));
      if (d.stream().anyMatch(x -> x.getWindowDilation() > 1)) parts.add("rhs_dilate=" + join(d, x -> Long.toString(x.getWindowDilation())));
      if (d.stream().anyMatch(WindowDimension::getWindowReversal)) parts.add("rhs_reversal=" + join(d, x -> x.getWindowReversal() ? "1" : "0"));
      return String.join(" ", parts);
    }

    private static String join(List<WindowDimension> d, java.util.function.Function<WindowDimension, String> f) {
      List<String> parts = new ArrayList<>();
      for (WindowDimension x : d) parts.add(f.apply(x));
      return String.join("x", parts);
    }

    /** {@code b01f_01io->b01f}: which dimension is batch, feature and each spatial one, for input, kernel, output. */
    private static String dimLabels(ConvolutionDimensionNumbers c) {
      int n = c.getInputSpatialDimensionsCount() + 2;
      char[] in = new char[n];
      char[] kernel = new char[n];
      char[] output = new char[n];
      java.util.Arrays.fill(in, '?');
      java.util.Arrays.fill(kernel, '?');
      java.util.Arrays.fill(output, '?');
      put(in, c.getInputBatchDimension(), 'b');
      put(in, c.getInputFeatureDimension(), 'f');
      put(kernel, c.getKernelInputFeatureDimension(), 'i');
      put(kernel, c.getKernelOutputFeatureDimension(), 'o');
      put(output, c.getOutputBatchDimension(), 'b');
      put(output, c.getOutputFeatureDimension(), 'f');
      for (int s = 0; s < n - 2; s++) {
        char digit = (char) ('0' + s);
        if (s < c.getInputSpatialDimensionsCount()) put(in, c.getInputSpatialDimensions(s), digit);
        if (s < c.getKernelSpatialDimensionsCount()) put(kernel, c.getKernelSpatialDimensions(s), digit);
        if (s < c.getOutputSpatialDimensionsCount()) put(output, c.getOutputSpatialDimensions(s), digit);
      }
      return new String(in) + "_" + new String(kernel) + "->" + new String(output);
    }

    private static void put(char[] labels, long dim, char c) {
      if (dim >= 0 && dim < labels.length) labels[(int) dim] = c;
    }

    /** {@code to_apply=}, {@code calls=}, {@code condition=/body=} and the like, by opcode. */
    private void calledComputations(HloInstructionProto i, Map<Long, HloInstructionProto> byId, List<String> a) {
      List<Long> ids = i.getCalledComputationIdsList();
      if (ids.isEmpty()) return;
      switch (i.getOpcode()) {
        case "while" -> {
          // XLA keeps the body first and the condition second, but prints the condition first
          if (ids.size() > 1) a.add("condition=" + comp(ids.get(1)));
          a.add("body=" + comp(ids.get(0)));
        }
        case "conditional" -> {
          HloInstructionProto pred = i.getOperandIdsCount() > 0 ? byId.get(i.getOperandIds(0)) : null;
          if (ids.size() == 2 && pred != null && pred.getShape().getElementType() == PrimitiveType.PRED) {
            a.add("true_computation=" + comp(ids.get(0)));
            a.add("false_computation=" + comp(ids.get(1)));
          } else {
            a.add("branch_computations=" + comps(ids));
          }
        }
        case "select-and-scatter" -> {
          a.add("select=" + comp(ids.get(0)));
          if (ids.size() > 1) a.add("scatter=" + comp(ids.get(1)));
        }
        case "reduce", "reduce-window", "map", "scatter", "sort", "all-reduce", "all-reduce-start", "reduce-scatter",
             "call", "topk" -> a.add("to_apply=" + (ids.size() == 1 ? comp(ids.get(0)) : comps(ids)));
        case "custom-call" -> a.add("called_computations=" + comps(ids));
        default -> a.add("calls=" + (ids.size() == 1 ? comp(ids.get(0)) : comps(ids)));
      }
    }

    /**
     * {@code op_type="..." op_name="..." source_file="..." source_line=N}: the fields that are set,
     * space-separated. Where newer XLA points into the module's stack-frame table instead
     * ({@code stack_frame_id}), the frame's file and line are written as source_file/source_line, the
     * form older XLA writes and readers such as HloSummary look for.
     */
    private String metadata(OpMetadata md) {
      List<String> parts = new ArrayList<>();
      String file = md.getSourceFile();
      int line = md.getSourceLine();
      int column = md.getSourceColumn();
      if (file.isEmpty() && md.getStackFrameId() > 0) {
        var idx = m.getStackFrameIndex();
        int f = md.getStackFrameId() - 1;
        if (f < idx.getStackFramesCount()) {
          int loc = idx.getStackFrames(f).getFileLocationId() - 1;
          if (loc >= 0 && loc < idx.getFileLocationsCount()) {
            var l = idx.getFileLocations(loc);
            int name = l.getFileNameId() - 1;
            if (name >= 0 && name < idx.getFileNamesCount()) file = idx.getFileNames(name);
            line = l.getLine();
            if (column == 0) column = l.getColumn();
          }
        }
      }
      if (!md.getOpType().isEmpty()) parts.add("op_type=\"" + HloShapes.escape(md.getOpType()) + "\"");
      if (!md.getOpName().isEmpty()) parts.add("op_name=\"" + HloShapes.escape(md.getOpName()) + "\"");
      if (!file.isEmpty()) parts.add("source_file=\"" + HloShapes.escape(file) + "\"");
      if (line != 0) parts.add("source_line=" + line);
      if (md.getSourceEndLine() != 0) parts.add("source_end_line=" + md.getSourceEndLine());
      if (column != 0) parts.add("source_column=" + column);
      if (md.getSourceEndColumn() != 0) parts.add("source_end_column=" + md.getSourceEndColumn());
      if (!md.getDeduplicatedName().isEmpty()) parts.add("deduplicated_name=\"" + HloShapes.escape(md.getDeduplicatedName()) + "\"");
      if (!md.getSchedulingName().isEmpty()) parts.add("scheduling_name=\"" + HloShapes.escape(md.getSchedulingName()) + "\"");
      return String.join(" ", parts);
    }

    private String comp(long id) {
      String n = computationNames.get(id);
      return "%" + (n == null ? "<unknown computation " + id + ">" : n);
    }

    private String comps(List<Long> ids) {
      List<String> parts = new ArrayList<>();
      for (long id : ids) parts.add(comp(id));
      return "{" + String.join(", ", parts) + "}";
    }
  }

  private static String dims(String key, List<Long> xs) { return key + "={" + HloShapes.ints(xs) + "}"; }

  /** {@code k="v",k2={{0,1}}} in key order, braced: values that are braced lists themselves stay unquoted. */
  static String frontendAttributes(FrontendAttributes f) {
    List<String> parts = new ArrayList<>();
    for (var e : new TreeMap<>(f.getMapMap()).entrySet()) {
      String v = e.getValue();
      boolean braced = v.startsWith("{") && v.endsWith("}");
      parts.add(e.getKey() + "=" + (braced ? v : "\"" + HloShapes.escape(v) + "\""));
    }
    return "{" + String.join(",", parts) + "}";
  }

  /** A JSON backend config as it is (GPU configs are JSON objects); anything else quoted and C-escaped. */
  static String backendConfig(byte[] raw) {
    String s = new String(raw, StandardCharsets.UTF_8);
    if (s.startsWith("{") && s.endsWith("}") && java.util.Arrays.equals(s.getBytes(StandardCharsets.UTF_8), raw)) return s;
    return "\"" + HloShapes.escape(raw) + "\"";
  }
}
