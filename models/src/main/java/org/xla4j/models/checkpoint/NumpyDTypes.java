package org.xla4j.models.checkpoint;

import java.util.Optional;
import org.xla4j.types.DType;

/**
 * numpy's dtype codes as pickled ({@code numpy.dtype('f4', False, True)}) to our {@link DType}; bfloat16 is
 * not a numpy builtin but ml_dtypes' scalar type, which numpy pickles as the global {@code ml_dtypes.bfloat16}.
 */
final class NumpyDTypes {
  private NumpyDTypes() {}

  /** The DType of a numpy type code ({@code f4}, {@code i1}, {@code b1}, ...; a leading byte-order mark allowed). */
  static Optional<DType> of(String code) {
    String c = code.startsWith("<") || code.startsWith("|") || code.startsWith("=") ? code.substring(1) : code;
    return Optional.ofNullable(switch (c) {
      case "b1", "?" -> DType.PRED;
      case "i1", "b" -> DType.I8;
      case "i2", "h" -> DType.I16;
      case "i4", "i" -> DType.I32;
      case "i8", "l", "q" -> DType.I64;
      case "u1", "B" -> DType.U8;
      case "u2", "H" -> DType.U16;
      case "u4", "I" -> DType.U32;
      case "u8", "L", "Q" -> DType.U64;
      case "f2", "e" -> DType.F16;
      case "f4", "f" -> DType.F32;
      case "f8", "d" -> DType.F64;
      default -> null;
    });
  }

  /** The DType of an ml_dtypes scalar type by its name ({@code bfloat16}); the float8 kinds have no DType here. */
  static Optional<DType> ofMlDtypes(String name) {
    return name.equals("bfloat16") ? Optional.of(DType.BF16) : Optional.empty();
  }
}
