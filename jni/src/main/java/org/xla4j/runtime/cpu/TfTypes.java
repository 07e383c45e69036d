package org.xla4j.runtime.cpu;

import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint16;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;

/**
 * How each {@link DType} crosses into TensorFlow. TensorFlow Java 1.1.0 has no tensor classes for
 * i8, i16, u32 and u64, so those are fed and fetched as the same-width type it does have and turned
 * into the real type inside the graph with a {@code Bitcast} (a reinterpretation, no copy).
 *
 * @param real the TF dtype the XlaCallModule node sees (the module's element type)
 * @param carrier the TF dtype of the Java-side tensor (equal to {@code real} unless bitcast)
 * @param tensorClass the TF Java tensor class of {@code carrier}
 */
record TfTypes(DataType real, DataType carrier, Class<? extends TType> tensorClass) {

  boolean needsBitcast() { return real != carrier; }

  static TfTypes of(DType t) {
    return switch (t) {
      case PRED -> same(DataType.DT_BOOL, TBool.class);
      case I8 -> new TfTypes(DataType.DT_INT8, DataType.DT_UINT8, TUint8.class);
      case I16 -> new TfTypes(DataType.DT_INT16, DataType.DT_UINT16, TUint16.class);
      case I32 -> same(DataType.DT_INT32, TInt32.class);
      case I64 -> same(DataType.DT_INT64, TInt64.class);
      case U8 -> same(DataType.DT_UINT8, TUint8.class);
      case U16 -> same(DataType.DT_UINT16, TUint16.class);
      case U32 -> new TfTypes(DataType.DT_UINT32, DataType.DT_INT32, TInt32.class);
      case U64 -> new TfTypes(DataType.DT_UINT64, DataType.DT_INT64, TInt64.class);
      case F16 -> same(DataType.DT_HALF, TFloat16.class);
      case BF16 -> same(DataType.DT_BFLOAT16, TBfloat16.class);
      case F32 -> same(DataType.DT_FLOAT, TFloat32.class);
      case F64 -> same(DataType.DT_DOUBLE, TFloat64.class);
    };
  }

  static org.tensorflow.ndarray.Shape shape(Shape s) {
    return s.rank() == 0 ? org.tensorflow.ndarray.Shape.scalar() : org.tensorflow.ndarray.Shape.of(s.dims());
  }

  private static TfTypes same(DataType d, Class<? extends TType> c) {
    return new TfTypes(d, d, c);
  }
}
