package org.xla4j.runtime.cpu;

import java.lang.foreign.MemorySegment;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.ndarray.buffer.DataStorageVisitor;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.TensorType;

/**
 * Copies raw bytes between {@link HostTensor}s and TensorFlow tensors. TensorFlow keeps tensor data
 * in native memory in the same little-endian row-major layout, so one bulk copy each way suffices;
 * it goes through a {@link MemorySegment} over the native address, which is several times faster
 * than TF Java's own buffer copy.
 */
final class TfTensors {
  private TfTensors() {}

  /** A new TF tensor (caller closes it) holding {@code h}'s bytes. */
  static Tensor toTf(HostTensor h, TfTypes tf, org.tensorflow.ndarray.Shape shape) {
    Tensor t = Tensor.of(tf.tensorClass(), shape);
    try {
      ByteDataBuffer data = t.asRawTensor().data();
      MemorySegment seg = nativeSegment(data, t.numBytes());
      if (seg != null) h.copyTo(seg);
      else data.write(h.bytes());
      return t;
    } catch (RuntimeException e) {
      t.close();
      throw e;
    }
  }

  /** A host copy of a TF tensor whose bytes make up a value of {@code type}. */
  static HostTensor fromTf(Tensor t, TensorType type) {
    long n = t.numBytes();
    if (n != type.byteSize()) {
      throw new IllegalStateException("XLA CPU returned " + n + " bytes for a result of type " + type
          + " (" + type.byteSize() + " expected)");
    }
    ByteDataBuffer data = t.asRawTensor().data();
    MemorySegment seg = nativeSegment(data, n);
    if (seg != null) return HostTensor.ofSegment(type, seg);
    byte[] b = new byte[(int) n];
    data.read(b);
    return HostTensor.ofBytes(type.dtype(), type.shape(), b);
  }

  /** The tensor's native memory as a segment, or null when TF does not expose an address (or n == 0). */
  @SuppressWarnings("restricted") // sizing a raw native address needs native access
  private static MemorySegment nativeSegment(ByteDataBuffer data, long n) {
    if (n == 0) return null;
    return data.accept(new DataStorageVisitor<MemorySegment>() {
      @Override
      public MemorySegment visit(long address, long length, long scale) {
        return address == 0 || length * scale != n ? null : MemorySegment.ofAddress(address).reinterpret(n);
      }

      @Override
      public MemorySegment fallback() { return null; }
    });
  }
}
