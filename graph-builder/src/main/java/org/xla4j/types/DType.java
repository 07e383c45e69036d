package org.xla4j.types;

/**
 * Element types of tensors, with their StableHLO spelling and storage size.
 *
 * <pre>{@code
 * TensorType t = TensorType.of(DType.BF16, 4, 128);   // tensor<4x128xbf16>
 * }</pre>
 */
public enum DType {
  PRED("i1", 1, Kind.BOOL),
  I8("i8", 1, Kind.SIGNED),
  I16("i16", 2, Kind.SIGNED),
  I32("i32", 4, Kind.SIGNED),
  I64("i64", 8, Kind.SIGNED),
  U8("ui8", 1, Kind.UNSIGNED),
  U16("ui16", 2, Kind.UNSIGNED),
  U32("ui32", 4, Kind.UNSIGNED),
  U64("ui64", 8, Kind.UNSIGNED),
  F16("f16", 2, Kind.FLOAT),
  BF16("bf16", 2, Kind.FLOAT),
  F32("f32", 4, Kind.FLOAT),
  F64("f64", 8, Kind.FLOAT);

  /** Broad class of an element type, used by shape rules and promotion. */
  public enum Kind { BOOL, SIGNED, UNSIGNED, FLOAT }

  private final String mlir;
  private final int byteSize;
  private final Kind kind;

  DType(String mlir, int byteSize, Kind kind) {
    this.mlir = mlir;
    this.byteSize = byteSize;
    this.kind = kind;
  }

  /** The element type as StableHLO text spells it, e.g. {@code bf16}, {@code ui32}, {@code i1}. */
  public String mlir() { return mlir; }

  /** Bytes per element in host memory (pred takes one byte). */
  public int byteSize() { return byteSize; }

  public Kind kind() { return kind; }

  public boolean isFloat() { return kind == Kind.FLOAT; }

  public boolean isInteger() { return kind == Kind.SIGNED || kind == Kind.UNSIGNED; }

  public boolean isUnsigned() { return kind == Kind.UNSIGNED; }

  public boolean isBool() { return kind == Kind.BOOL; }

  /** Bit width of one element (1 for pred). */
  public int bits() { return this == PRED ? 1 : byteSize * 8; }

  /** Parses the StableHLO spelling ({@code f32}, {@code ui8}, {@code i1}); also accepts the enum name. */
  public static DType fromMlir(String s) {
    for (DType d : values()) {
      if (d.mlir.equals(s) || d.name().equalsIgnoreCase(s)) return d;
    }
    if (s.equals("bool")) return PRED;
    throw new IllegalArgumentException("unknown element type '" + s + "'; expected one of "
        + java.util.Arrays.stream(values()).map(DType::mlir).toList());
  }

  /** The safetensors dtype tag (BOOL, I8, BF16, F32, ...). */
  public String safetensorsName() {
    return switch (this) {
      case PRED -> "BOOL";
      case I8 -> "I8";
      case I16 -> "I16";
      case I32 -> "I32";
      case I64 -> "I64";
      case U8 -> "U8";
      case U16 -> "U16";
      case U32 -> "U32";
      case U64 -> "U64";
      case F16 -> "F16";
      case BF16 -> "BF16";
      case F32 -> "F32";
      case F64 -> "F64";
    };
  }

  public static DType fromSafetensorsName(String s) {
    for (DType d : values()) {
      if (d.safetensorsName().equals(s)) return d;
    }
    throw new IllegalArgumentException("unsupported safetensors dtype '" + s + "'");
  }
}
