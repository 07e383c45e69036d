package org.xla4j.runtime.pjrt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.CollectiveDeviceListProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.LayoutProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.PrimitiveType;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.ProgramShapeProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.ShapeProto;
import org.xla4j.runtime.pjrt.proto.HloModuleProtos.TileProto;
import org.xla4j.runtime.pjrt.proto.OpShardingProtos.OpSharding;

/**
 * The small pieces of XLA's HLO text that are not instructions: element type names, shapes with
 * layouts, shardings, replica groups, index lists and C-escaped strings, written as XLA writes them.
 */
final class HloShapes {
  private HloShapes() {}

  /** XLA's name of an element type: {@code pred}, {@code s32}, {@code bf16}, {@code f8e4m3fn}, ... */
  static String typeName(ShapeProto s) {
    PrimitiveType t = s.getElementType();
    return switch (t) {
      case OPAQUE_TYPE -> "opaque";
      case UNRECOGNIZED -> "type" + s.getElementTypeValue();
      default -> t.name().toLowerCase(Locale.ROOT);
    };
  }

  /** A shape as an instruction's result or operand: {@code f32[8,16]{1,0}}, {@code (f32[2]{0}, s32[])}. */
  static String withLayout(ShapeProto s) { return shape(s, true); }

  /** A shape without layouts, as computation signatures show it: {@code f32[8,16]}. */
  static String noLayout(ShapeProto s) { return shape(s, false); }

  private static String shape(ShapeProto s, boolean layout) {
    if (s.getElementType() == PrimitiveType.TUPLE) {
      List<String> parts = new ArrayList<>();
      for (ShapeProto e : s.getTupleShapesList()) parts.add(shape(e, layout));
      return "(" + String.join(", ", parts) + ")";
    }
    StringBuilder b = new StringBuilder(typeName(s)).append('[');
    for (int i = 0; i < s.getDimensionsCount(); i++) {
      if (i > 0) b.append(',');
      if (i < s.getIsDynamicDimensionCount() && s.getIsDynamicDimension(i)) b.append("<=");
      b.append(s.getDimensions(i));
    }
    b.append(']');
    // scalars, tokens and shapes without a layout print none (XLA leaves the empty "{}" out)
    if (layout && s.hasLayout() && s.getDimensionsCount() > 0) b.append(layout(s.getLayout()));
    return b.toString();
  }

  /** {@code {1,0}}, with tiles, element size and memory space where set: {@code {1,0:T(8,128)S(1)}}. */
  static String layout(LayoutProto l) {
    StringBuilder b = new StringBuilder("{").append(ints(l.getMinorToMajorList()));
    StringBuilder extra = new StringBuilder();
    if (l.getTilesCount() > 0) {
      extra.append('T');
      for (TileProto t : l.getTilesList()) extra.append('(').append(ints(t.getDimensionsList())).append(')');
    }
    if (l.getElementSizeInBits() != 0) extra.append("E(").append(l.getElementSizeInBits()).append(')');
    if (l.getMemorySpace() != 0) extra.append("S(").append(l.getMemorySpace()).append(')');
    if (!extra.isEmpty()) b.append(':').append(extra);
    return b.append('}').toString();
  }

  /** {@code (f32[8]{0}, s32[])->f32[8]{0}}: an entry computation layout, without parameter names. */
  static String programShape(ProgramShapeProto p) {
    List<String> params = new ArrayList<>();
    for (ShapeProto s : p.getParametersList()) params.add(withLayout(s));
    return "(" + String.join(", ", params) + ")->" + withLayout(p.getResult());
  }

  /** Comma-joined without spaces, as XLA writes dimension lists: {@code 1,0}. */
  static String ints(List<? extends Number> xs) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < xs.size(); i++) {
      if (i > 0) b.append(',');
      b.append(xs.get(i).longValue());
    }
    return b.toString();
  }

  /** A shape index: {@code {}}, {@code {1}}, {@code {0,2}}. */
  static String index(List<Long> xs) { return "{" + ints(xs) + "}"; }

  /** HloSharding's text: {@code {replicated}}, {@code {maximal device=0}}, {@code {devices=[2,1]<=[2]}}, tuples. */
  static String sharding(OpSharding s) {
    return switch (s.getType()) {
      case REPLICATED -> "{replicated}";
      case MANUAL -> "{manual}";
      case UNKNOWN -> "{unknown}";
      case UNREDUCED -> "{unreduced}";
      case MAXIMAL -> "{maximal device=" + (s.getTileAssignmentDevicesCount() > 0 ? s.getTileAssignmentDevices(0) : 0) + "}";
      case TUPLE -> {
        List<String> parts = new ArrayList<>();
        for (OpSharding t : s.getTupleShardingsList()) parts.add(sharding(t));
        yield "{" + String.join(", ", parts) + "}";
      }
      case OTHER -> {
        StringBuilder b = new StringBuilder("{devices=[").append(ints(s.getTileAssignmentDimensionsList())).append(']');
        if (s.getIotaReshapeDimsCount() > 0) {
          b.append(iota(s.getIotaReshapeDimsList(), s.getIotaTransposePermList()));
        } else {
          b.append(ints(s.getTileAssignmentDevicesList()));
        }
        if (s.getReplicateOnLastTileDim()) b.append(" last_tile_dim_replicate");
        if (s.getLastTileDimsCount() > 0) {
          List<String> kinds = new ArrayList<>();
          for (OpSharding.Type t : s.getLastTileDimsList()) kinds.add(t.name().toLowerCase(Locale.ROOT));
          b.append(" last_tile_dims={").append(String.join(", ", kinds)).append('}');
        }
        yield b.append('}').toString();
      }
      case UNRECOGNIZED -> "{unknown sharding type " + s.getTypeValue() + "}";
    };
  }

  /** {@code <=[8]} or {@code <=[2,4]T(1,0)}: an iota device list, reshaped and transposed. */
  private static String iota(List<Long> reshape, List<Integer> perm) {
    StringBuilder b = new StringBuilder("<=[").append(ints(reshape)).append(']');
    boolean identity = true;
    for (int i = 0; i < perm.size(); i++) identity &= perm.get(i) == i;
    if (!identity) b.append("T(").append(ints(perm)).append(')');
    return b.toString();
  }

  /** {@code {{0,1},{2,3}}} or {@code [2,2]<=[4]}: a collective's replica groups. */
  static String replicaGroups(CollectiveDeviceListProto list, List<List<Long>> legacy) {
    if (list.hasIotaReplicaGroupList()) {
      var g = list.getIotaReplicaGroupList();
      return "[" + g.getNumReplicaGroups() + "," + g.getNumDevicesPerGroup() + "]"
          + iota(g.getIotaReshapeDimsList(), g.getIotaTransposePermList());
    }
    List<List<Long>> groups = new ArrayList<>();
    for (var r : list.getReplicaGroupsList()) groups.add(r.getReplicaIdsList());
    if (groups.isEmpty()) groups = legacy;
    List<String> parts = new ArrayList<>();
    for (List<Long> g : groups) parts.add("{" + ints(g) + "}");
    return "{" + String.join(",", parts) + "}";
  }

  /**
   * A quoted string's body as absl::CEscape writes it: quotes and backslashes escaped, bytes outside
   * printable ASCII (UTF-8 included) as three octal digits, so XLA's parser reads it back unchanged.
   */
  static String escape(String s) { return escape(s.getBytes(StandardCharsets.UTF_8)); }

  static String escape(byte[] bytes) {
    StringBuilder b = new StringBuilder(bytes.length);
    for (byte x : bytes) {
      int c = x & 0xff;
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '"' -> b.append("\\\"");
        case '\'' -> b.append("\\'");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c >= 0x20 && c < 0x7f) {
            b.append((char) c);
          } else {
            b.append('\\').append((char) ('0' + ((c >> 6) & 7))).append((char) ('0' + ((c >> 3) & 7)))
                .append((char) ('0' + (c & 7)));
          }
        }
      }
    }
    return b.toString();
  }
}
