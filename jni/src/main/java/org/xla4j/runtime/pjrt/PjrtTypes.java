package org.xla4j.runtime.pjrt;

import org.xla4j.types.DType;

/** DType <-> PJRT_Buffer_Type numbers (values of the C enum, which only grows). */
final class PjrtTypes {
  private PjrtTypes() {}

  static int toPjrt(DType t) {
    return switch (t) {
      case PRED -> 1;
      case I8 -> 2;
      case I16 -> 3;
      case I32 -> 4;
      case I64 -> 5;
      case U8 -> 6;
      case U16 -> 7;
      case U32 -> 8;
      case U64 -> 9;
      case F16 -> 10;
      case F32 -> 11;
      case F64 -> 12;
      case BF16 -> 13;
    };
  }

  static DType fromPjrt(int t) {
    return switch (t) {
      case 1 -> DType.PRED;
      case 2 -> DType.I8;
      case 3 -> DType.I16;
      case 4 -> DType.I32;
      case 5 -> DType.I64;
      case 6 -> DType.U8;
      case 7 -> DType.U16;
      case 8 -> DType.U32;
      case 9 -> DType.U64;
      case 10 -> DType.F16;
      case 11 -> DType.F32;
      case 12 -> DType.F64;
      case 13 -> DType.BF16;
      default -> throw new IllegalArgumentException("PJRT buffer type " + t + " has no xla4j DType");
    };
  }
}
