package org.xla4j.runtime.pjrt;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Opaque;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP bindings of the native shim {@code native/xla4j_pjrt.h}. Internal: use {@link PjrtBackend}.
 *
 * <p>The shim source is compiled into the JNI library by the javacpp-maven-plugin at build time
 * (libstdc++ linked statically, so the library needs only libc and libdl at run time). Every call
 * that can fail leaves its error in the calling thread's last error; {@link #check} turns it into an
 * exception.
 */
@Platform(
    value = "linux-x86_64",
    include = {"xla4j_pjrt.h", "xla4j_pjrt.cc"},
    link = "dl")
final class PjrtNative {
  static {
    Loader.load();
  }

  private PjrtNative() {}

  /** Forces the native library to load; throws {@link UnsatisfiedLinkError} if it cannot. */
  static void load() {}

  @Opaque
  @Name("x4j_plugin")
  static final class Plugin extends Pointer {
    Plugin() { super((Pointer) null); }
    Plugin(Pointer p) { super(p); }
  }

  @Opaque
  @Name("x4j_client")
  static final class Client extends Pointer {
    Client() { super((Pointer) null); }
    Client(Pointer p) { super(p); }
  }

  static native int x4j_last_error_code();

  static native @Cast("const char*") BytePointer x4j_last_error_message();

  static native Plugin x4j_plugin_load(String path);

  static native int x4j_plugin_api_major(Plugin p);

  static native int x4j_plugin_api_minor(Plugin p);

  static native Client x4j_client_create(
      Plugin p, int n, @Cast("const char**") PointerPointer<?> names,
      @Cast("const int*") int[] kinds, @Cast("const char**") PointerPointer<?> strValues,
      @Cast("const long long*") long[] intValues, @Cast("const double*") double[] floatValues);

  static native int x4j_client_destroy(Client c);

  static native @Cast("const char*") BytePointer x4j_client_platform_name(Client c);

  static native @Cast("const char*") BytePointer x4j_client_platform_version(Client c);

  static native int x4j_client_num_devices(Client c);

  static native int x4j_device_id(Client c, int index);

  static native int x4j_device_process_index(Client c, int index);

  static native @Cast("const char*") BytePointer x4j_device_kind(Client c, int index);

  static native int x4j_device_memory_stats(
      Client c, int index, @Cast("long long*") long[] out);

  static native Pointer x4j_compile(
      Client c, @Cast("const char*") BytePointer code, @Cast("size_t") long codeSize,
      String format, @Cast("const char*") BytePointer options, @Cast("size_t") long optionsSize);

  static native int x4j_executable_destroy(Client c, Pointer exe);

  static native Pointer x4j_buffer_from_host(
      Client c, int deviceIndex, @Cast("const void*") long dataAddress, int type,
      @Cast("const long long*") long[] dims, int numDims, int semantics);

  static native int x4j_buffer_to_host(
      Client c, Pointer buffer, @Cast("void*") long dstAddress, @Cast("size_t") long dstSize);

  static native int x4j_buffer_element_type(Client c, Pointer buffer);

  static native int x4j_buffer_dimensions(
      Client c, Pointer buffer, @Cast("long long*") long[] dims, int maxDims);

  static native long x4j_buffer_on_device_size(Client c, Pointer buffer);

  static native int x4j_buffer_is_deleted(Client c, Pointer buffer);

  static native int x4j_buffer_destroy(Client c, Pointer buffer);

  static native int x4j_buffer_await_ready(Client c, Pointer buffer);

  static native int x4j_execute(
      Client c, Pointer exe, int deviceIndex, int numDevices, @Cast("void* const*") PointerPointer<?> args,
      int numArgs, @Cast("void**") PointerPointer<?> outputs, int numOutputs,
      @Cast("const long long*") long[] nonDonatable, int numNonDonatable, int await);

  static native int x4j_executable_counts(Client c, Pointer exe, @Cast("long long*") long[] out);

  static native int x4j_executable_devices(Client c, Pointer exe, int[] indices, int max);

  static native @Cast("char*") BytePointer x4j_executable_serialize(
      Client c, Pointer exe, @Cast("long long*") long[] size);

  static native Pointer x4j_executable_deserialize(
      Client c, @Cast("const char*") BytePointer bytes, @Cast("size_t") long size);

  static native @Cast("char*") BytePointer x4j_executable_optimized_program(
      Client c, Pointer exe, @Cast("long long*") long[] size, @Cast("char*") byte[] format, int formatCap);

  static native void x4j_free(Pointer p);

  static native @Cast("char*") BytePointer x4j_plugin_attributes(Plugin p, @Cast("long long*") long[] size);

  static native @Cast("char*") BytePointer x4j_executable_cost_analysis(
      Client c, Pointer exe, @Cast("long long*") long[] size);

  static native int x4j_executable_memory_stats(Client c, Pointer exe, @Cast("long long*") long[] out);

  static native @Cast("char*") BytePointer x4j_executable_output_shardings(
      Client c, Pointer exe, @Cast("long long*") long[] size);

  /**
   * Copies a malloc'd result of {@code size[0]} bytes out and frees it; null (with the thread's error
   * set) when {@code p} is null.
   */
  static byte[] take(BytePointer p, long[] size) {
    if (p == null || p.isNull()) return null;
    try {
      byte[] out = new byte[Math.toIntExact(size[0])];
      p.capacity(size[0]).get(out);
      return out;
    } finally {
      x4j_free(p);
    }
  }

  static native long x4j_host_alloc(long size);

  static native void x4j_host_free(long address, long size);

  static native int x4j_client_has_dma_map(Client c);

  static native int x4j_dma_map(Client c, long address, long size);

  static native int x4j_dma_unmap(Client c, long address);

  static native Pointer x4j_buffer_from_host_async(
      Client c, int deviceIndex, long address, int type, @Cast("const long long*") long[] dims, int numDims,
      @Cast("void**") PointerPointer<?> doneEvent);

  static native int x4j_event_await(Client c, Pointer event);

  /** The calling thread's last error message, or "" when none. */
  static String lastMessage() {
    BytePointer p = x4j_last_error_message();
    return p == null || p.isNull() ? "" : p.getString(java.nio.charset.StandardCharsets.UTF_8);
  }

  static String str(BytePointer p) {
    return p == null || p.isNull() ? "" : p.getString(java.nio.charset.StandardCharsets.UTF_8);
  }
}
