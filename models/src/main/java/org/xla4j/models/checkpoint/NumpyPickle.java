package org.xla4j.models.checkpoint;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;
import org.xla4j.checkpoint.CheckpointException;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * Reads one pickle file of Grok-1's {@code ckpt-0} with razorvine's {@link Unpickler}, without reading the
 * arrays' data: every Python bytes object (an array's raw data) becomes the byte range it occupies in the
 * file, which {@link GrokCkpt0} then maps (zero heap copies; the parse itself touches only the few hundred
 * bytes of pickle opcodes around the data).
 *
 * <p>What the file may hold, as numpy 1.x and 2.x pickle it (checked with numpy 2.4 and ml_dtypes 0.5.4 here):
 * <ul>
 *   <li>a numpy array: protocols 3-4 reduce it to {@code numpy.core.multiarray._reconstruct(numpy.ndarray, (0,),
 *       b'b')} (numpy 2: {@code numpy._core.multiarray}) followed by BUILD with the state
 *       {@code (1, shape, dtype, is_fortran, raw_bytes)}; protocol 5 to {@code numpy.core.numeric._frombuffer(buffer,
 *       dtype, shape, order)} with the buffer in-band;</li>
 *   <li>a numpy dtype: {@code numpy.dtype(code, False, True)} with state {@code (version, byteorder, ...)}, where
 *       {@code code} is a type code ({@code 'f4'}, {@code 'i1'}) or, for ml_dtypes' bfloat16, the global
 *       {@code ml_dtypes.bfloat16};</li>
 *   <li>Grok-1's {@code QuantizedWeight8bit} dataclass (model.py: fields {@code weight}, {@code scales}), pickled
 *       as a class global (Grok-1's checkpoint.py installs it as {@code __main__.QuantizedWeight8bit} to unpickle)
 *       with its {@code __dict__} as state.</li>
 * </ul>
 * The constructors for these are this reader's own (not razorvine's process-wide registry); any other Python
 * global is refused, naming it and the file, so a file that is not a ckpt-0 leaf cannot build arbitrary objects.
 *
 * <pre>{@code
 * PickledLeaf leaf = NumpyPickle.read(Path.of("ckpt-0/tensor00002_000"));   // Quantized(weight i8[8,6144,32768], ...)
 * }</pre>
 */
public final class NumpyPickle extends Unpickler {
  private final Path file;
  private final Counting in;

  private NumpyPickle(Path file, Counting in) {
    this.file = file;
    this.in = in;
  }

  /**
   * The array or QuantizedWeight8bit that {@code file} holds.
   *
   * @throws CheckpointException naming the file when it is not a pickle of one of those (an unknown global,
   *     a big-endian or Fortran-ordered array, an object array, an unknown dtype, data not matching the shape)
   * @throws java.io.UncheckedIOException when it cannot be read
   */
  public static PickledLeaf read(Path file) {
    try (Counting in = new Counting(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      NumpyPickle p = new NumpyPickle(file, in);
      Object top;
      try {
        top = p.load(in);
      } catch (PickleException | ClassCastException | IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
        if (e instanceof CheckpointException c) throw c;
        throw new CheckpointException(file + ": not a numpy pickle this reader understands (" + e.getMessage() + ")", e);
      }
      return switch (top) {
        case PickledLeaf.Array a -> a;
        case PickledLeaf.Quantized q -> q;
        case ArrayBuild b -> b.result();
        case QuantizedBuild q -> q.result();
        case null -> throw p.bad("holds None, not a numpy array or QuantizedWeight8bit");
        default -> throw p.bad("holds a " + top.getClass().getSimpleName() + ", not a numpy array or QuantizedWeight8bit");
      };
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot read ckpt-0 tensor file " + file, e);
    }
  }

  CheckpointException bad(String what) { return new CheckpointException(file + ": " + what); }

  @Override
  protected Object dispatch(short key) throws PickleException, IOException {
    switch (key) {
      case Opcodes.SHORT_BINBYTES -> stack.add(range(PickleUtils.readbyte(input)));
      case Opcodes.BINBYTES -> stack.add(range(PickleUtils.bytes_to_uint(PickleUtils.readbytes(input, 4), 0)));
      case Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> stack.add(range(PickleUtils.bytes_to_long(PickleUtils.readbytes(input, 8), 0)));
      case Opcodes.GLOBAL -> {
        String module = PickleUtils.readline(input);
        stack.add(global(module, PickleUtils.readline(input)));
      }
      case Opcodes.STACK_GLOBAL -> {
        String name = (String) stack.pop();
        stack.add(global((String) stack.pop(), name));
      }
      case Opcodes.BUILD -> {
        Object state = stack.pop();
        if (!(stack.peek() instanceof Buildable b)) {
          throw bad("BUILD (set state) on a " + stack.peek().getClass().getSimpleName() + ", which has none");
        }
        b.build(state);
      }
      case Opcodes.NEXT_BUFFER, Opcodes.PERSID, Opcodes.BINPERSID ->
          throw bad("refers to data outside the pickle (out-of-band buffer or persistent id), which ckpt-0 does not use");
      default -> { return super.dispatch(key); }
    }
    return NO_RETURN_VALUE;
  }

  /** Skips {@code n} data bytes, returning where they lie. */
  private Range range(long n) throws IOException {
    long at = in.position;
    in.skipExactly(n);
    return new Range(at, n);
  }

  private Object global(String module, String name) {
    String qualified = module + "." + name;
    return switch (qualified) {
      case "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct" -> (Ctor) args -> reconstruct(args);
      case "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer" -> (Ctor) args -> fromBuffer(args);
      case "numpy.ndarray" -> NDARRAY;
      case "numpy.dtype" -> (Ctor) args -> new DtypeBuild(scalar(args[0]));
      default -> {
        if (module.startsWith("ml_dtypes")) {
          Optional<DType> d = NumpyDTypes.ofMlDtypes(name);
          if (d.isPresent()) yield new ScalarType(qualified, d.get());
          throw bad("uses " + qualified + ", an ml_dtypes type without an xla4j DType (bfloat16 is the one supported)");
        }
        if (name.equals("QuantizedWeight8bit")) yield (Ctor) args -> new QuantizedBuild(qualified);
        throw bad("refers to the Python global " + qualified + "; a Grok-1 ckpt-0 leaf holds only numpy arrays "
            + "(numpy.ndarray, numpy.dtype, ml_dtypes.bfloat16) and QuantizedWeight8bit");
      }
    };
  }

  private Object reconstruct(Object[] args) {
    if (args.length < 1 || args[0] != NDARRAY) throw bad("reconstructs a " + describe(args.length > 0 ? args[0] : null) + ", not a numpy.ndarray");
    return new ArrayBuild();
  }

  private PickledLeaf.Array fromBuffer(Object[] args) {
    if (args.length != 4 || !(args[0] instanceof Range data) || !(args[1] instanceof DtypeBuild dt) || !(args[2] instanceof Object[] shape)) {
      throw bad("numpy _frombuffer with arguments " + Arrays.deepToString(args) + ", expected (buffer, dtype, shape, order)");
    }
    if ("F".equals(args[3]) && shape.length > 1) throw bad("holds a Fortran-ordered array; ckpt-0 arrays are C-ordered");
    return array(shape, dt, data);
  }

  private PickledLeaf.Array array(Object[] shape, DtypeBuild dtype, Range data) {
    long[] dims = new long[shape.length];
    for (int i = 0; i < dims.length; i++) {
      if (!(shape[i] instanceof Number n)) throw bad("array shape " + Arrays.toString(shape) + " is not integers");
      dims[i] = n.longValue();
    }
    TensorType type = new TensorType(dtype.dtype(), Shape.of(dims));
    if (type.byteSize() != data.length) {
      throw bad("array " + type + " needs " + type.byteSize() + " bytes of data, the pickle holds " + data.length);
    }
    return new PickledLeaf.Array(type, data.offset);
  }

  private DType scalar(Object code) {
    return switch (code) {
      case String s -> NumpyDTypes.of(s).orElseThrow(() -> bad("numpy dtype '" + s + "' has no xla4j DType"));
      case ScalarType t -> t.dtype;
      default -> throw bad("numpy dtype of " + describe(code) + ", expected a type code or ml_dtypes.bfloat16");
    };
  }

  private static String describe(Object o) {
    return o == null ? "None" : o instanceof ScalarType t ? t.name : o.getClass().getSimpleName();
  }

  private static final Object NDARRAY = new Object() {
    @Override
    public String toString() { return "numpy.ndarray"; }
  };

  /** A pickled callable; razorvine's REDUCE and NEWOBJ call {@link #construct}. */
  private interface Ctor extends IObjectConstructor {}

  /** An object that takes BUILD's state. */
  private interface Buildable {
    void build(Object state);
  }

  /** Bytes [offset, offset + length) of the file. */
  private record Range(long offset, long length) {}

  /** ml_dtypes' scalar type, e.g. bfloat16, as a dtype's first argument. */
  private record ScalarType(String name, DType dtype) {}

  private final class DtypeBuild implements Buildable {
    private final DType dtype;
    private boolean built;

    DtypeBuild(DType dtype) { this.dtype = dtype; }

    DType dtype() {
      if (!built) throw bad("numpy dtype " + dtype + " used before its state (byte order) was set");
      return dtype;
    }

    @Override
    public void build(Object state) {
      // (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
      if (!(state instanceof Object[] s) || s.length < 5 || !(s[1] instanceof String order)) {
        throw bad("numpy dtype state " + describeState(state) + ", expected (version, byteorder, ...)");
      }
      if (order.equals(">") && dtype.byteSize() > 1) throw bad("holds a big-endian " + dtype + " array; xla4j reads little-endian data");
      if (s[2] != null || s[3] != null) throw bad("holds a structured or sub-array numpy dtype, not a plain " + dtype);
      built = true;
    }
  }

  private final class ArrayBuild implements Buildable {
    private PickledLeaf.Array result;

    PickledLeaf.Array result() {
      if (result == null) throw bad("numpy array without its state (shape, dtype, data)");
      return result;
    }

    @Override
    public void build(Object state) {
      // (version, shape, dtype, is_fortran, raw data)
      if (!(state instanceof Object[] s) || s.length != 5 || !(s[1] instanceof Object[] shape) || !(s[2] instanceof DtypeBuild dt)) {
        throw bad("numpy array state " + describeState(state) + ", expected (1, shape, dtype, is_fortran, data)");
      }
      if (!(s[4] instanceof Range data)) throw bad("holds a numpy object array (its data are Python objects, not raw bytes)");
      if (Boolean.TRUE.equals(s[3]) && shape.length > 1) throw bad("holds a Fortran-ordered array; ckpt-0 arrays are C-ordered");
      result = array(shape, dt, data);
    }
  }

  private final class QuantizedBuild implements Buildable {
    private final String className;
    private PickledLeaf.Quantized result;

    QuantizedBuild(String className) { this.className = className; }

    PickledLeaf.Quantized result() {
      if (result == null) throw bad(className + " without its fields (weight, scales)");
      return result;
    }

    @Override
    public void build(Object state) {
      // a dataclass pickles its __dict__; with __slots__ it would be (None, slots)
      Object dict = state instanceof Object[] t && t.length == 2 && t[0] == null ? t[1] : state;
      if (!(dict instanceof Map<?, ?> m) || !m.keySet().equals(java.util.Set.of("weight", "scales"))) {
        throw bad(className + " with state " + describeState(state) + ", expected the fields {weight, scales}");
      }
      result = new PickledLeaf.Quantized(className, field(m, "weight"), field(m, "scales"));
    }

    private PickledLeaf.Array field(Map<?, ?> m, String name) {
      return switch (m.get(name)) {
        case ArrayBuild b -> b.result();
        case PickledLeaf.Array a -> a;
        case null, default -> throw bad(className + "." + name + " is " + describe(m.get(name)) + ", not a numpy array");
      };
    }
  }

  private static String describeState(Object state) {
    return state instanceof Object[] a ? "tuple of " + a.length + " " + List.of(a).stream().map(NumpyPickle::describe).toList()
        : describe(state);
  }

  /** Counts the bytes read, so a bytes object's offset is known; skips data without reading it. */
  private static final class Counting extends FilterInputStream {
    long position;

    Counting(InputStream in) { super(in); }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) position++;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) position += n;
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long k = super.skip(n);
      position += k;
      return k;
    }

    void skipExactly(long n) throws IOException {
      long left = n;
      while (left > 0) {
        long k = skip(left);
        if (k <= 0) {
          if (read() < 0) throw new java.io.EOFException("pickle data of " + n + " bytes ends early at byte " + position);
          k = 1;
        }
        left -= k;
      }
    }

    @Override
    public boolean markSupported() { return false; }
  }
}
