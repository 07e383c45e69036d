package org.xla4j.runtime;

import com.google.flatbuffers.FlatBufferBuilder;
import com.google.flatbuffers.Table;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.Signature;
import org.xla4j.types.TensorType;

/**
 * A compiled-program artifact ({@code .x4j}): the plugin's serialized executable plus what is needed to
 * trust and call it: the program's hash, its signature (dtypes, shapes, shardings as text), the
 * platform it was compiled for and the compile options. Laid out with FlatBuffers (file identifier
 * {@code X4J1}); the schema, written out by hand (no flatc):
 *
 * <pre>
 * table Tensor   { dtype:string; dims:[long]; sharding:string; }
 * table Artifact {
 *   format_version:int; platform_name:string; platform_version:string; plugin_api_version:string;
 *   device_kind:string; program_hash:string; args:[Tensor]; results:[Tensor];
 *   compile_options:[ubyte]; executable:[ubyte]; num_replicas:int; num_partitions:int; producer:string;
 * }
 * root_type Artifact; file_identifier "X4J1";
 * </pre>
 *
 * <p>Backend-neutral: {@link Executable#toArtifact} makes one where the backend can serialize (PJRT),
 * {@link Backend#load} runs one; both throw {@link UnsupportedOperationException} on a backend that
 * cannot (the embedded CPU backend).
 *
 * <pre>{@code
 * X4jArtifact a = exe.toArtifact();
 * a.write(Path.of("prog.x4j"));
 * try (Executable again = gpu.load(X4jArtifact.read(Path.of("prog.x4j")))) { ... }
 * }</pre>
 */
public record X4jArtifact(
    int formatVersion,
    String platformName,
    String platformVersion,
    String pluginApiVersion,
    String deviceKind,
    String programHash,
    List<Arg> args,
    List<Arg> results,
    byte[] compileOptions,
    byte[] executable,
    int numReplicas,
    int numPartitions,
    String producer) {

  /** Current layout version. */
  public static final int FORMAT_VERSION = 1;
  static final String FILE_ID = "X4J1";

  /** One argument or result: its type and its sharding attribute text ("" when unsharded). */
  public record Arg(TensorType type, String sharding) {}

  public X4jArtifact {
    args = List.copyOf(args);
    results = List.copyOf(results);
    compileOptions = compileOptions.clone();
    executable = executable.clone();
  }

  /** The signature the artifact's program takes and returns. */
  public Signature signature() {
    return new Signature(args.stream().map(Arg::type).toList(), results.stream().map(Arg::type).toList());
  }

  @Override
  public byte[] compileOptions() { return compileOptions.clone(); }

  @Override
  public byte[] executable() { return executable.clone(); }

  /** The serialized executable without a defensive copy; callers must not change it. */
  public byte[] executableNoCopy() { return executable; }

  // ------------------------------------------------------------------ FlatBuffers layout

  /** The artifact as FlatBuffers bytes. */
  public byte[] toBytes() {
    FlatBufferBuilder fb = new FlatBufferBuilder(executable.length + compileOptions.length + 1024);
    int exeOff = fb.createByteVector(executable);
    int optOff = fb.createByteVector(compileOptions);
    int argsOff = tensors(fb, args);
    int resOff = tensors(fb, results);
    int pn = fb.createString(platformName);
    int pv = fb.createString(platformVersion);
    int api = fb.createString(pluginApiVersion);
    int dk = fb.createString(deviceKind);
    int hash = fb.createString(programHash);
    int prod = fb.createString(producer);
    fb.startTable(13);
    fb.addInt(0, formatVersion, 0);
    fb.addOffset(1, pn, 0);
    fb.addOffset(2, pv, 0);
    fb.addOffset(3, api, 0);
    fb.addOffset(4, dk, 0);
    fb.addOffset(5, hash, 0);
    fb.addOffset(6, argsOff, 0);
    fb.addOffset(7, resOff, 0);
    fb.addOffset(8, optOff, 0);
    fb.addOffset(9, exeOff, 0);
    fb.addInt(10, numReplicas, 0);
    fb.addInt(11, numPartitions, 0);
    fb.addOffset(12, prod, 0);
    int root = fb.endTable();
    fb.finish(root, FILE_ID);
    return fb.sizedByteArray();
  }

  private static int tensors(FlatBufferBuilder fb, List<Arg> list) {
    int[] offs = new int[list.size()];
    for (int i = 0; i < list.size(); i++) {
      Arg a = list.get(i);
      int dtype = fb.createString(a.type().dtype().mlir());
      long[] dims = a.type().shape().dims();
      fb.startVector(8, dims.length, 8);
      for (int k = dims.length - 1; k >= 0; k--) fb.addLong(dims[k]);
      int dimsOff = fb.endVector();
      int sh = fb.createString(a.sharding());
      fb.startTable(3);
      fb.addOffset(0, dtype, 0);
      fb.addOffset(1, dimsOff, 0);
      fb.addOffset(2, sh, 0);
      offs[i] = fb.endTable();
    }
    return fb.createVectorOfTables(offs);
  }

  /** Reads FlatBuffers bytes written by {@link #toBytes()}. */
  public static X4jArtifact fromBytes(byte[] bytes) {
    ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < 8 || !new String(bytes, 4, 4, StandardCharsets.US_ASCII).equals(FILE_ID)) {
      throw new IllegalArgumentException("not an xla4j compiled-program artifact (no '" + FILE_ID + "' file identifier)");
    }
    try {
      Root r = new Root(bb);
      int version = r.intField(0);
      if (version != FORMAT_VERSION) {
        throw new IllegalArgumentException("artifact layout version " + version + "; this xla4j reads version " + FORMAT_VERSION);
      }
      return new X4jArtifact(version, r.str(1), r.str(2), r.str(3), r.str(4), r.str(5), r.tensors(6), r.tensors(7),
          r.bytes(8), r.bytes(9), r.intField(10), r.intField(11), r.str(12));
    } catch (RuntimeException e) {
      // A damaged body shows as an offset or length past the end (IndexOutOfBounds, BufferUnderflow,
      // NegativeArraySize), a bad dtype name or invalid UTF-8: all mean the same to the reader.
      if (e instanceof IllegalArgumentException iae && iae.getMessage() != null && iae.getMessage().startsWith("artifact")) throw iae;
      throw new IllegalArgumentException("corrupt xla4j compiled-program artifact: it has the '" + FILE_ID
          + "' header but its body (" + bytes.length + " bytes) does not read as an artifact (" + reason(e)
          + "); it was damaged or truncated, compile it again with xla4j compile", e);
    }
  }

  private static String reason(RuntimeException e) {
    return switch (e) {
      case IndexOutOfBoundsException x -> "an offset or length points past the end";
      case java.nio.BufferUnderflowException x -> "an offset or length points past the end";
      case NegativeArraySizeException x -> "a negative length";
      case IllegalArgumentException x -> x.getMessage() == null ? "an invalid field" : x.getMessage();
      default -> "an invalid field";
    };
  }

  /** Checks a vector of {@code n} elements of {@code width} bytes at {@code start} lies in the buffer. */
  private static void checkVector(ByteBuffer bb, int start, int n, int width) {
    if (n < 0 || start < 0 || (long) start + (long) n * width > bb.limit()) {
      throw new IndexOutOfBoundsException("vector of " + n + " at " + start);
    }
  }

  /** Reader of the root table. */
  private static final class Root extends Table {
    Root(ByteBuffer bb) {
      __reset(bb.getInt(bb.position()) + bb.position(), bb);
    }

    int intField(int field) {
      int o = __offset(4 + 2 * field);
      return o != 0 ? bb.getInt(o + bb_pos) : 0;
    }

    String str(int field) {
      int o = __offset(4 + 2 * field);
      return o != 0 ? __string(o + bb_pos) : "";
    }

    byte[] bytes(int field) {
      int o = __offset(4 + 2 * field);
      if (o == 0) return new byte[0];
      int n = __vector_len(o);
      int start = __vector(o);
      checkVector(bb, start, n, 1);
      byte[] out = new byte[n];
      bb.get(start, out);
      return out;
    }

    List<Arg> tensors(int field) {
      int o = __offset(4 + 2 * field);
      if (o == 0) return List.of();
      int n = __vector_len(o);
      checkVector(bb, __vector(o), n, 4);
      List<Arg> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int t = __indirect(__vector(o) + i * 4);
        out.add(new TensorReader(t, bb).arg());
      }
      return out;
    }
  }

  private static final class TensorReader extends Table {
    TensorReader(int pos, ByteBuffer bb) { __reset(pos, bb); }

    Arg arg() {
      int o0 = __offset(4);
      String dtype = o0 != 0 ? __string(o0 + bb_pos) : "";
      int o1 = __offset(6);
      int rank = o1 != 0 ? __vector_len(o1) : 0;
      if (o1 != 0) checkVector(bb, __vector(o1), rank, 8);
      long[] dims = new long[rank];
      if (o1 != 0) {
        int start = __vector(o1);
        for (int k = 0; k < dims.length; k++) dims[k] = bb.getLong(start + 8 * k);
      }
      int o2 = __offset(8);
      String sh = o2 != 0 ? __string(o2 + bb_pos) : "";
      return new Arg(new TensorType(DType.fromMlir(dtype), Shape.of(dims)), sh);
    }
  }

  /** Writes the artifact (atomically: a temporary file renamed into place). */
  public void write(Path file) throws IOException {
    Path abs = file.toAbsolutePath();
    Path dir = abs.getParent();
    if (dir != null) Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
    try {
      Files.write(tmp, toBytes());
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Reads an artifact file. */
  public static X4jArtifact read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException("artifact file not found: " + file);
    try {
      return fromBytes(Files.readAllBytes(file));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Throws a clear error when this artifact was compiled for another platform, plugin version or device
   * kind than {@code b} runs, or needs more devices than it has.
   *
   * @throws XlaException FAILED_PRECONDITION naming both sides
   */
  public void checkCompatible(Backend b) {
    String here = describe(b.platformName(), b.platformVersion(), b.apiVersion(), b.devices().get(0).kind());
    String there = describe(platformName, platformVersion, pluginApiVersion, deviceKind);
    if (!platformName.equals(b.platformName()) || !platformVersion.equals(b.platformVersion())
        || !deviceKind.equals(b.devices().get(0).kind())) {
      throw new XlaException(XlaException.Code.FAILED_PRECONDITION, "compiled-program artifact was built for "
          + there + " but this backend (" + b + ") is " + here
          + "; compile it again here (xla4j compile MODULE.mlir -o prog.x4j)");
    }
    if (numReplicas * numPartitions > b.devices().size()) {
      throw new XlaException(XlaException.Code.FAILED_PRECONDITION, "the artifact's program runs on "
          + numReplicas * numPartitions + " devices; this backend has " + b.devices().size());
    }
  }

  private static String describe(String name, String version, String api, String kind) {
    return "platform '" + name + "' version '" + version + "' (PJRT C API " + api + ") on '" + kind + "'";
  }

  // ------------------------------------------------------------------ helpers

  /** SHA-256 of the text's UTF-8 bytes, as lowercase hex. */
  public static String sha256(String text) {
    return sha256(text.getBytes(StandardCharsets.UTF_8));
  }

  /** SHA-256 of the bytes, as lowercase hex: the one digest helper of the runtime (program hashes, cache keys). */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
