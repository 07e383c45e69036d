package org.xla4j.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xla4j.graph.HloSummary;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloComputationProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloInputOutputAliasProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloInstructionProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloModuleConfigProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloModuleProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloModuleProtoWithConfig;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.HloScheduleProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.LayoutProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.LiteralProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.OpMetadata;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.PrimitiveType;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.ProgramShapeProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.ShapeProto;
import org.xla4j.runtime.pjrt.proto.OpShardingProtos.OpSharding;

/**
 * HLO module protos built here with the generated builders (as a PJRT plugin would serialize them),
 * printed, and compared line by line with text written by hand from XLA's HLO text format; then read
 * back with {@link HloSummary}, as dumps and the viewer read the optimized HLO.
 */
class HloTextTest {
  // ---- proto helpers ----

  private static ShapeProto arr(PrimitiveType t, long... dims) {
    ShapeProto.Builder s = ShapeProto.newBuilder().setElementType(t);
    LayoutProto.Builder l = LayoutProto.newBuilder();
    for (long d : dims) s.addDimensions(d);
    for (int i = dims.length - 1; i >= 0; i--) l.addMinorToMajor(i);
    return s.setLayout(l).build();
  }

  private static ShapeProto tuple(ShapeProto... parts) {
    return ShapeProto.newBuilder().setElementType(PrimitiveType.TUPLE).addAllTupleShapes(List.of(parts)).build();
  }

  private static HloInstructionProto.Builder ins(long id, String name, String opcode, ShapeProto shape, long... operands) {
    HloInstructionProto.Builder b = HloInstructionProto.newBuilder().setId(id).setName(name).setOpcode(opcode).setShape(shape);
    for (long o : operands) b.addOperandIds(o);
    return b;
  }

  private static HloInstructionProto.Builder param(long id, String name, int number, ShapeProto shape) {
    return ins(id, name, "parameter", shape).setParameterNumber(number);
  }

  private static OpMetadata md(String opName, String file, int line) {
    return OpMetadata.newBuilder().setOpName(opName).setSourceFile(file).setSourceLine(line).build();
  }

  private static HloComputationProto comp(long id, String name, long root, HloInstructionProto.Builder... instructions) {
    HloComputationProto.Builder c = HloComputationProto.newBuilder().setId(id).setName(name).setRootId(root);
    for (HloInstructionProto.Builder i : instructions) c.addInstructions(i);
    return c.build();
  }

  private static ByteString utf8(String s) { return ByteString.copyFrom(s, StandardCharsets.UTF_8); }

  private static final ShapeProto F32 = arr(PrimitiveType.F32);
  private static final ShapeProto S32 = arr(PrimitiveType.S32);
  private static final ShapeProto X = arr(PrimitiveType.F32, 8, 16);
  private static final ShapeProto B = arr(PrimitiveType.F32, 16);
  private static final ShapeProto V = arr(PrimitiveType.F32, 8);
  private static final ShapeProto LOOP = tuple(S32, V);

  /** A fusion with metadata, a reduce with to_apply, a tuple-returning while, a custom call, constants. */
  private static HloModuleProtoWithConfig module() {
    HloComputationProto add = comp(1, "region_add", 103,
        param(101, "a", 0, F32), param(102, "b", 1, F32), ins(103, "add.1", "add", F32, 101, 102));
    HloComputationProto fused = comp(2, "fused_computation", 204,
        param(201, "param_0", 0, X), param(202, "param_1", 1, B),
        ins(203, "broadcast.1", "broadcast", X, 202).addDimensions(1),
        ins(204, "multiply.1", "multiply", X, 201, 203).setMetadata(md("model/scale", "/src/Model.java", 42)))
        .toBuilder().setIsFusionComputation(true).build();
    HloComputationProto cond = comp(3, "while_cond", 304,
        param(301, "cond_param", 0, LOOP),
        ins(302, "gte.0", "get-tuple-element", S32, 301).setTupleIndex(0),
        ins(303, "limit", "constant", S32).setLiteral(LiteralProto.newBuilder().setShape(S32).addS32S(4)),
        ins(304, "lt", "compare", arr(PrimitiveType.PRED), 302, 303).setComparisonDirection("LT").setComparisonType("SIGNED"));
    HloComputationProto body = comp(4, "while_body", 407,
        param(401, "body_param", 0, LOOP),
        ins(402, "i", "get-tuple-element", S32, 401).setTupleIndex(0),
        ins(403, "x", "get-tuple-element", V, 401).setTupleIndex(1),
        ins(404, "one", "constant", S32).setLiteral(LiteralProto.newBuilder().setShape(S32).addS32S(1)),
        ins(405, "next", "add", S32, 402, 404),
        ins(406, "twice", "add", V, 403, 403),
        ins(407, "body_tuple", "tuple", LOOP, 405, 406));
    ShapeProto gemmOut = tuple(arr(PrimitiveType.F32, 8, 8), arr(PrimitiveType.S8, 1024));
    ShapeProto bf16 = arr(PrimitiveType.BF16);
    ShapeProto table = arr(PrimitiveType.S32, 2, 2);
    ShapeProto small = arr(PrimitiveType.F32, 3);
    ShapeProto big = arr(PrimitiveType.F32, 16);
    LiteralProto.Builder bigLit = LiteralProto.newBuilder().setShape(big);
    for (int k = 0; k < 16; k++) bigLit.addF32S(k);
    ShapeProto result = tuple(V, arr(PrimitiveType.F32, 8, 8), bf16);
    HloComputationProto entry = comp(5, "main.10", 513,
        param(501, "Arg_0.1", 0, X).setMetadata(OpMetadata.newBuilder().setOpName("x")),
        param(502, "Arg_1.2", 1, B),
        ins(503, "scale_fusion", "fusion", X, 501, 502).setFusionKind("kLoop").addCalledComputationIds(2)
            .setMetadata(md("model/scale", "/src/Model.java", 42)).setBackendConfig(utf8("{\"operation_queue_id\":\"0\"}")),
        ins(504, "zero", "constant", F32).setLiteral(LiteralProto.newBuilder().setShape(F32).addF32S(0f)),
        ins(505, "reduce.3", "reduce", V, 503, 504).addDimensions(1).addCalledComputationIds(1),
        ins(506, "c0", "constant", S32).setLiteral(LiteralProto.newBuilder().setShape(S32).addS32S(0)),
        ins(507, "init", "tuple", LOOP, 506, 505),
        // XLA stores a while's body first, its condition second
        ins(508, "loop", "while", LOOP, 507).addCalledComputationIds(4).addCalledComputationIds(3),
        ins(509, "result", "get-tuple-element", V, 508).setTupleIndex(1),
        // bf16 3.140625 = 0x4049, little-endian
        ins(510, "pi", "constant", bf16).setLiteral(LiteralProto.newBuilder().setShape(bf16)
            .setBf16S(ByteString.copyFrom(new byte[] {0x49, 0x40}))),
        ins(511, "gemm", "custom-call", gemmOut, 503, 501).setCustomCallTarget("__cublas$gemm")
            .setMetadata(md("model/gram", "/src/Model.java", 57))
            .setBackendConfig(utf8("{\"gemm_backend_config\":{\"alpha_real\":1}}")),
        ins(512, "gram", "get-tuple-element", arr(PrimitiveType.F32, 8, 8), 511).setTupleIndex(0),
        ins(514, "table", "constant", table).setLiteral(LiteralProto.newBuilder().setShape(table).addS32S(1).addS32S(2).addS32S(3).addS32S(4)),
        ins(515, "small", "constant", small).setLiteral(LiteralProto.newBuilder().setShape(small)
            .addF32S(1f).addF32S(2.5f).addF32S(Float.NEGATIVE_INFINITY)),
        ins(516, "big", "constant", big).setLiteral(bigLit),
        ins(513, "out", "tuple", result, 509, 512, 510));
    HloScheduleProto.Builder schedule = HloScheduleProto.newBuilder();
    HloScheduleProto.InstructionSequence.Builder seq = HloScheduleProto.InstructionSequence.newBuilder();
    entry.getInstructionsList().forEach(i -> seq.addInstructionIds(i.getId()));
    schedule.putSequences(5, seq.build());
    HloModuleProto m = HloModuleProto.newBuilder().setName("jit_step").setEntryComputationName("main.10")
        .setEntryComputationId(5).addComputations(add).addComputations(fused).addComputations(cond)
        .addComputations(body).addComputations(entry).setSchedule(schedule).build();
    HloModuleConfigProto config = HloModuleConfigProto.newBuilder()
        .setEntryComputationLayout(ProgramShapeProto.newBuilder().addParameters(X).addParameters(B).setResult(result))
        .addAllowSpmdShardingPropagationToOutput(true).setReplicaCount(1).setNumPartitions(1).build();
    return HloModuleProtoWithConfig.newBuilder().setHloModule(m).setConfig(config).build();
  }

  private static final String EXPECTED = """
      HloModule jit_step, is_scheduled=true, entry_computation_layout={(f32[8,16]{1,0}, f32[16]{0})->(f32[8]{0}, f32[8,8]{1,0}, bf16[])}, allow_spmd_sharding_propagation_to_output={true}

      %region_add (a: f32[], b: f32[]) -> f32[] {
        %a = f32[] parameter(0)
        %b = f32[] parameter(1)
        ROOT %add.1 = f32[] add(f32[] %a, f32[] %b)
      }

      %fused_computation (param_0: f32[8,16], param_1: f32[16]) -> f32[8,16] {
        %param_0 = f32[8,16]{1,0} parameter(0)
        %param_1 = f32[16]{0} parameter(1)
        %broadcast.1 = f32[8,16]{1,0} broadcast(f32[16]{0} %param_1), dimensions={1}
        ROOT %multiply.1 = f32[8,16]{1,0} multiply(f32[8,16]{1,0} %param_0, f32[8,16]{1,0} %broadcast.1), metadata={op_name="model/scale" source_file="/src/Model.java" source_line=42}
      }

      %while_cond (cond_param: (s32[], f32[8])) -> pred[] {
        %cond_param = (s32[], f32[8]{0}) parameter(0)
        %gte.0 = s32[] get-tuple-element((s32[], f32[8]{0}) %cond_param), index=0
        %limit = s32[] constant(4)
        ROOT %lt = pred[] compare(s32[] %gte.0, s32[] %limit), direction=LT
      }

      %while_body (body_param: (s32[], f32[8])) -> (s32[], f32[8]) {
        %body_param = (s32[], f32[8]{0}) parameter(0)
        %i = s32[] get-tuple-element((s32[], f32[8]{0}) %body_param), index=0
        %x = f32[8]{0} get-tuple-element((s32[], f32[8]{0}) %body_param), index=1
        %one = s32[] constant(1)
        %next = s32[] add(s32[] %i, s32[] %one)
        %twice = f32[8]{0} add(f32[8]{0} %x, f32[8]{0} %x)
        ROOT %body_tuple = (s32[], f32[8]{0}) tuple(s32[] %next, f32[8]{0} %twice)
      }

      ENTRY %main.10 (Arg_0.1: f32[8,16], Arg_1.2: f32[16]) -> (f32[8], f32[8,8], bf16[]) {
        %Arg_0.1 = f32[8,16]{1,0} parameter(0), metadata={op_name="x"}
        %Arg_1.2 = f32[16]{0} parameter(1)
        %scale_fusion = f32[8,16]{1,0} fusion(f32[8,16]{1,0} %Arg_0.1, f32[16]{0} %Arg_1.2), kind=kLoop, calls=%fused_computation, metadata={op_name="model/scale" source_file="/src/Model.java" source_line=42}, backend_config={"operation_queue_id":"0"}
        %zero = f32[] constant(0)
        %reduce.3 = f32[8]{0} reduce(f32[8,16]{1,0} %scale_fusion, f32[] %zero), dimensions={1}, to_apply=%region_add
        %c0 = s32[] constant(0)
        %init = (s32[], f32[8]{0}) tuple(s32[] %c0, f32[8]{0} %reduce.3)
        %loop = (s32[], f32[8]{0}) while((s32[], f32[8]{0}) %init), condition=%while_cond, body=%while_body
        %result = f32[8]{0} get-tuple-element((s32[], f32[8]{0}) %loop), index=1
        %pi = bf16[] constant(3.141)
        %gemm = (f32[8,8]{1,0}, s8[1024]{0}) custom-call(f32[8,16]{1,0} %scale_fusion, f32[8,16]{1,0} %Arg_0.1), custom_call_target="__cublas$gemm", metadata={op_name="model/gram" source_file="/src/Model.java" source_line=57}, backend_config={"gemm_backend_config":{"alpha_real":1}}
        %gram = f32[8,8]{1,0} get-tuple-element((f32[8,8]{1,0}, s8[1024]{0}) %gemm), index=0
        %table = s32[2,2]{1,0} constant({ { 1, 2 }, { 3, 4 } })
        %small = f32[3]{0} constant({1, 2.5, -inf})
        %big = f32[16]{0} constant({...})
        ROOT %out = (f32[8]{0}, f32[8,8]{1,0}, bf16[]) tuple(f32[8]{0} %result, f32[8,8]{1,0} %gram, bf16[] %pi)
      }
      """;

  @Test
  void printsTheModuleLineByLineAsXlaDoes() throws Exception {
    byte[] wire = module().toByteArray();
    String text = HloText.print(wire);
    List<String> want = EXPECTED.lines().toList();
    List<String> got = text.lines().toList();
    for (int k = 0; k < want.size(); k++) {
      assertTrue(k < got.size(), "missing line " + (k + 1) + ": " + want.get(k) + "\n" + text);
      assertEquals(want.get(k), got.get(k), "line " + (k + 1));
    }
    assertTrue(got.subList(want.size(), got.size()).stream().allMatch(String::isBlank), text);
    // the "hlo" format: the bare module, without the config's entry layout
    String bare = HloText.print("hlo", module().getHloModule().toByteArray());
    assertEquals("HloModule jit_step, is_scheduled=true", bare.lines().findFirst().orElseThrow());
    assertEquals(got.subList(1, got.size()), bare.lines().toList().subList(1, got.size()));
  }

  @Test
  void hloSummaryReadsThePrintedText() {
    HloSummary s = HloSummary.read(HloText.print(module()));
    assertEquals(3 + 4 + 4 + 7 + 16, s.instructions());
    assertEquals(1, s.fusions().size());
    HloSummary.Fusion f = s.fusions().get(0);
    assertEquals(new HloSummary.Fusion("scale_fusion", "kLoop", "model/scale", "/src/Model.java", 42), f);
    assertEquals(List.of(f), s.fusionsAt("Model.java", 42));
    assertEquals(Map.of("__cublas$gemm", 1), s.customCalls());
    assertEquals(Map.of(), s.collectives());
  }

  @Test
  void resolvesStackFrameIdsIntoSourceFileAndLine() {
    // newer XLA: op metadata points (1-based) into the module's stack-frame table
    var frames = org.xla4j.runtime.pjrt.proto.HloModuleProtos.StackFrameIndexProto.newBuilder()
        .addFileNames("/other/Unused.java").addFileNames("/src/Gram.java").addFunctionNames("build")
        .addFileLocations(org.xla4j.runtime.pjrt.proto.HloModuleProtos.StackFrameIndexProto.FileLocation.newBuilder()
            .setFileNameId(1).setFunctionNameId(1).setLine(3))
        .addFileLocations(org.xla4j.runtime.pjrt.proto.HloModuleProtos.StackFrameIndexProto.FileLocation.newBuilder()
            .setFileNameId(2).setFunctionNameId(1).setLine(12).setColumn(5))
        .addStackFrames(org.xla4j.runtime.pjrt.proto.HloModuleProtos.StackFrameIndexProto.StackFrame.newBuilder().setFileLocationId(1))
        .addStackFrames(org.xla4j.runtime.pjrt.proto.HloModuleProtos.StackFrameIndexProto.StackFrame.newBuilder()
            .setFileLocationId(2).setParentFrameId(1));
    ShapeProto v4 = arr(PrimitiveType.F32, 4);
    HloComputationProto fc = comp(1, "fc", 11, param(10, "q", 0, v4), ins(11, "n", "negate", v4, 10));
    HloComputationProto e = comp(2, "e", 21, param(20, "p", 0, v4),
        ins(21, "neg_fusion", "fusion", v4, 20).setFusionKind("kLoop").addCalledComputationIds(1)
            .setMetadata(OpMetadata.newBuilder().setOpName("g/negate").setStackFrameId(2)));
    HloModuleProto m = HloModuleProto.newBuilder().setName("m").setEntryComputationId(2).addComputations(fc)
        .addComputations(e).setStackFrameIndex(frames).build();
    String text = HloText.print("hlo", m.toByteArray());
    assertTrue(text.contains("  ROOT %neg_fusion = f32[4]{0} fusion(f32[4]{0} %p), kind=kLoop, calls=%fc, "
        + "metadata={op_name=\"g/negate\" source_file=\"/src/Gram.java\" source_line=12 source_column=5}\n"), text);
    assertEquals(1, HloSummary.read(text).fusionsAt("Gram.java", 12).size());
  }

  @Test
  void escapesStringsAndQuotesBinaryBackendConfigs() {
    HloInstructionProto.Builder cc = ins(1, "cc", "custom-call", arr(PrimitiveType.F32, 4), 2)
        .setCustomCallTarget("my\"target").setCustomCallHasSideEffect(true)
        .setCustomCallApiVersion(org.xla4j.runtime.pjrt.proto.HloModuleProtos.CustomCallApiVersion.API_VERSION_STATUS_RETURNING)
        .setMetadata(OpMetadata.newBuilder().setOpType("t").setOpName("a/b('c')\n"))
        .setBackendConfig(ByteString.copyFrom(new byte[] {0, 1, 'x', (byte) 0xc3, (byte) 0xa9}));
    HloModuleProto m = HloModuleProto.newBuilder().setName("m").setEntryComputationId(1)
        .addComputations(comp(1, "e", 1, param(2, "p", 0, arr(PrimitiveType.F32, 4)), cc)).build();
    String line = HloText.print("hlo", m.toByteArray()).lines().filter(l -> l.contains("custom-call(")).findFirst().orElseThrow();
    assertEquals("  ROOT %cc = f32[4]{0} custom-call(f32[4]{0} %p), custom_call_target=\"my\\\"target\", "
        + "custom_call_has_side_effect=true, api_version=API_VERSION_STATUS_RETURNING, "
        + "metadata={op_type=\"t\" op_name=\"a/b(\\'c\\')\\n\"}, backend_config=\"\\000\\001x\\303\\251\"", line);
  }

  @Test
  void printsShardingsAliasesAndCollectives() {
    ShapeProto v4 = arr(PrimitiveType.F32, 4);
    OpSharding tiled = OpSharding.newBuilder().setType(OpSharding.Type.OTHER).addTileAssignmentDimensions(2)
        .addTileAssignmentDimensions(1).addTileAssignmentDimensions(2).addIotaReshapeDims(4)
        .addIotaTransposePerm(0).setReplicateOnLastTileDim(true).build();
    HloInstructionProto.Builder p = param(1, "p", 0, v4).setSharding(tiled)
        .setFrontendAttributes(org.xla4j.runtime.pjrt.proto.HloModuleProtos.FrontendAttributes.newBuilder()
            .putMap("_xla_validation", "{{0,3}}").putMap("_xla_compute_type", "host"));
    HloInstructionProto.Builder ar = ins(2, "all-reduce.1", "all-reduce", v4, 1).setChannelId(3)
        .setCollectiveDeviceList(org.xla4j.runtime.pjrt.proto.HloModuleProtos.CollectiveDeviceListProto.newBuilder()
            .addReplicaGroups(org.xla4j.runtime.pjrt.proto.HloModuleProtos.ReplicaGroup.newBuilder().addReplicaIds(0).addReplicaIds(1))
            .addReplicaGroups(org.xla4j.runtime.pjrt.proto.HloModuleProtos.ReplicaGroup.newBuilder().addReplicaIds(2).addReplicaIds(3)))
        .setUseGlobalDeviceIds(true).addCalledComputationIds(7)
        .setSharding(OpSharding.newBuilder().setType(OpSharding.Type.TUPLE)
            .addTupleShardings(OpSharding.newBuilder().setType(OpSharding.Type.REPLICATED))
            .addTupleShardings(OpSharding.newBuilder().setType(OpSharding.Type.MAXIMAL).addTileAssignmentDevices(1)));
    HloComputationProto sum = comp(7, "sum", 72, param(70, "x", 0, F32), param(71, "y", 1, F32), ins(72, "s", "add", F32, 70, 71));
    HloModuleProto m = HloModuleProto.newBuilder().setName("spmd").setEntryComputationId(8).addComputations(sum)
        .addComputations(comp(8, "e", 2, p, ar))
        .setInputOutputAlias(HloInputOutputAliasProto.newBuilder().addEntries(
            HloInputOutputAliasProto.AliasEntryProto.newBuilder().addOutputShapeIndex(0).setParameterNumber(0)))
        .build();
    HloModuleConfigProto c = HloModuleConfigProto.newBuilder().setNumPartitions(4).build();
    String text = HloText.print(m, c);
    List<String> lines = text.lines().toList();
    assertEquals("HloModule spmd, input_output_alias={ {0}: (0, {}, may-alias) }, num_partitions=4", lines.get(0));
    assertTrue(lines.contains("  %p = f32[4]{0} parameter(0), sharding={devices=[2,1,2]<=[4] last_tile_dim_replicate}, "
        + "frontend_attributes={_xla_compute_type=\"host\",_xla_validation={{0,3}}}"), text);
    assertTrue(lines.contains("  ROOT %all-reduce.1 = f32[4]{0} all-reduce(f32[4]{0} %p), channel_id=3, "
        + "replica_groups={{0,1},{2,3}}, use_global_device_ids=true, to_apply=%sum, "
        + "sharding={{replicated}, {maximal device=1}}"), text);
    assertEquals(Map.of("all-reduce", 1), Map.of("all-reduce", (int) HloSummary.read(text).collectives().get("all-reduce")[0]));
  }

  @Test
  void formatsFloatsAsXlaRoundTripsThem() {
    assertEquals("0.1", HloLiterals.fp(0.1f, HloLiterals.Fp.F32));
    assertEquals("9.31322575e-10", HloLiterals.fp(Math.scalb(1f, -30), HloLiterals.Fp.F32));
    assertEquals("7.4505805969238281e-09", HloLiterals.fp(Math.scalb(1.0, -27), HloLiterals.Fp.F64));
    assertEquals("1e-05", HloLiterals.fp(1e-5f, HloLiterals.Fp.F32));
    assertEquals("1e+10", HloLiterals.fp(1e10f, HloLiterals.Fp.F32));
    assertEquals("10000000000", HloLiterals.fp(1e10, HloLiterals.Fp.F64)); // %.15g keeps 11 digits plain
    assertEquals("-0", HloLiterals.fp(-0.0, HloLiterals.Fp.F64));
    assertEquals("nan", HloLiterals.fp(Double.NaN, HloLiterals.Fp.F32));
    assertEquals("6.55e+04", HloLiterals.fp(65504, HloLiterals.Fp.F16)); // 3 digits read back as f16 65504
  }

  @Test
  void namesTypesAndLayoutsAsXlaDoes() {
    assertEquals("f8e4m3fn[4]{0}", HloShapes.withLayout(arr(PrimitiveType.F8E4M3FN, 4)));
    assertEquals("pred[2,3]{1,0}", HloShapes.withLayout(arr(PrimitiveType.PRED, 2, 3)));
    assertEquals("u64[]", HloShapes.withLayout(arr(PrimitiveType.U64)));
    assertEquals("token[]", HloShapes.withLayout(ShapeProto.newBuilder().setElementType(PrimitiveType.TOKEN).build()));
    ShapeProto tiled = arr(PrimitiveType.BF16, 8, 128).toBuilder().addIsDynamicDimension(true).addIsDynamicDimension(false)
        .setLayout(LayoutProto.newBuilder().addMinorToMajor(1).addMinorToMajor(0)
            .addTiles(org.xla4j.runtime.pjrt.proto.HloModuleProtos.TileProto.newBuilder().addDimensions(8).addDimensions(128))
            .setMemorySpace(1)).build();
    assertEquals("bf16[<=8,128]{1,0:T(8,128)S(1)}", HloShapes.withLayout(tiled));
    assertEquals("(bf16[<=8,128], (s4[2]))", HloShapes.noLayout(tuple(tiled, tuple(arr(PrimitiveType.S4, 2)))));
    // f8e4m3fn: 0x7e = 448 (its largest), 0x7f = NaN, 0x01 = 2^-9 (smallest subnormal); s4 sign-extends
    ShapeProto f8 = arr(PrimitiveType.F8E4M3FN, 3);
    assertEquals("{448, nan, 0.00195}", HloLiterals.print(LiteralProto.newBuilder().setShape(f8)
        .setF8E4M3Fns(ByteString.copyFrom(new byte[] {0x7e, 0x7f, 0x01})).build()));
    assertEquals("{-8, 7}", HloLiterals.print(LiteralProto.newBuilder().setShape(arr(PrimitiveType.S4, 2))
        .setS4S(ByteString.copyFrom(new byte[] {0x08, 0x07})).build()));
    assertEquals("(1.5, -2)", HloLiterals.print(LiteralProto.newBuilder().setShape(arr(PrimitiveType.C64))
        .addC64S(1.5f).addC64S(-2f).build()));
  }

  @Test
  void rejectsOtherFormatsAndBadBytes() {
    IllegalArgumentException fmt = assertThrows(IllegalArgumentException.class, () -> HloText.print("mlir", new byte[0]));
    assertTrue(fmt.getMessage().contains("'mlir'"), fmt.getMessage());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> HloText.print("hlo_with_config", new byte[] {(byte) 0xff, (byte) 0xff}));
    assertTrue(bad.getMessage().contains("HloModuleProtoWithConfig"), bad.getMessage());
  }
}
