package org.xla4j.models.checkpoint;

import java.util.Objects;
import org.xla4j.types.TensorType;

/**
 * What one pickle file of Grok-1's {@code ckpt-0} holds, as {@link NumpyPickle} reads it without copying
 * array data: a numpy array, or a {@code QuantizedWeight8bit} of two. An array is located by the byte
 * range of its raw data inside the pickle file (numpy pickles an array's bytes as one Python bytes object).
 */
public sealed interface PickledLeaf {
  /**
   * A C-ordered, little-endian numpy array whose data are bytes {@code [offset, offset + type.byteSize())} of its file.
   *
   * <pre>{@code
   * PickledLeaf.Array a = (PickledLeaf.Array) NumpyPickle.read(file);   // e.g. f32[131072,6144] @ 171
   * }</pre>
   */
  record Array(TensorType type, long offset) implements PickledLeaf {
    public Array {
      Objects.requireNonNull(type, "type");
      if (offset < 0) throw new IllegalArgumentException("offset " + offset);
    }

    @Override
    public String toString() { return "numpy " + type; }
  }

  /**
   * Grok-1's {@code QuantizedWeight8bit} dataclass (model.py): an int8 {@code weight} and bf16 {@code scales}.
   *
   * @param className the pickled class as {@code module.name} (Grok-1 writes {@code __main__.QuantizedWeight8bit})
   */
  record Quantized(String className, Array weight, Array scales) implements PickledLeaf {
    public Quantized {
      Objects.requireNonNull(className, "className");
      Objects.requireNonNull(weight, "weight");
      Objects.requireNonNull(scales, "scales");
    }

    @Override
    public String toString() { return "QuantizedWeight8bit(weight " + weight.type() + ", scales " + scales.type() + ")"; }
  }
}
