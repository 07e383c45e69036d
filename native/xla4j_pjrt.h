/*
 * xla4j PJRT shim: a small C API over a PJRT plugin, bound to Java with JavaCPP.
 *
 * It hides the PJRT argument-struct protocol, turns every PJRT_Error into a (code, message) pair
 * kept per thread (x4j_last_error_code / x4j_last_error_message), waits on PJRT events where an
 * operation must be complete before it returns, and owns nothing it does not free.
 *
 * Conventions: functions returning a pointer return NULL on failure; functions returning int
 * return 0 on success and the absl/PJRT error code (1..16) on failure. On failure the calling
 * thread's last error holds the code and message; on success it is cleared.
 * Buffer and executable handles are the plugin's own PJRT_Buffer* / PJRT_LoadedExecutable*;
 * every call also takes the client they belong to.
 */
#ifndef XLA4J_PJRT_H_
#define XLA4J_PJRT_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct x4j_plugin x4j_plugin;
typedef struct x4j_client x4j_client;

/* Error of the calling thread's last failed call (0 / "" when the last call succeeded). */
int x4j_last_error_code(void);
const char* x4j_last_error_message(void);

/* Loads a plugin (dlopen + GetPjrtApi + PJRT_Plugin_Initialize, once per path per process).
 * Plugins are never unloaded. Fails on a missing symbol or an incompatible major API version. */
x4j_plugin* x4j_plugin_load(const char* path);
int x4j_plugin_api_major(const x4j_plugin* p);
int x4j_plugin_api_minor(const x4j_plugin* p);

/* Named create options. kinds: 0 string, 1 int64, 2 int64 list (str_values holds "1,2,3"),
 * 3 float, 4 bool (int_values != 0). */
x4j_client* x4j_client_create(x4j_plugin* p, int n, const char** names, const int* kinds,
                              const char** str_values, const long long* int_values,
                              const double* float_values);
/* Destroys the client; buffers and executables must be destroyed before. NULL is a no-op. */
int x4j_client_destroy(x4j_client* c);
const char* x4j_client_platform_name(const x4j_client* c);
const char* x4j_client_platform_version(const x4j_client* c);
int x4j_client_num_devices(const x4j_client* c);
int x4j_device_id(const x4j_client* c, int index);
int x4j_device_process_index(const x4j_client* c, int index);
const char* x4j_device_kind(const x4j_client* c, int index);
/* out[0]=bytes in use, out[1]=peak bytes in use (-1 unset), out[2]=bytes limit (-1 unset). */
int x4j_device_memory_stats(x4j_client* c, int index, long long* out);

/* Compiles `code` (e.g. StableHLO text with format "mlir") with a serialized CompileOptionsProto. */
void* x4j_compile(x4j_client* c, const char* code, size_t code_size, const char* format,
                  const char* options, size_t options_size);
int x4j_executable_destroy(x4j_client* c, void* exe);

/* Copies dense row-major host data to device `device_index`. semantics 0: the plugin copies `data`
 * during the call (PJRT kImmutableOnlyDuringCall); 1: the plugin reads `data` in place while the
 * transfer runs (kImmutableUntilTransferCompletes, no extra host copy). Either way this returns once
 * the plugin is done with `data`, so the caller may free or change it. */
void* x4j_buffer_from_host(x4j_client* c, int device_index, const void* data, int type,
                           const long long* dims, int num_dims, int semantics);
/* Copies a buffer to host memory of dst_size bytes and waits for it. */
int x4j_buffer_to_host(x4j_client* c, void* buffer, void* dst, size_t dst_size);
/* PJRT_Buffer_Type of the buffer, or -1 on failure. */
int x4j_buffer_element_type(x4j_client* c, void* buffer);
/* Writes up to max_dims dimensions; returns the rank, or -1 on failure. */
int x4j_buffer_dimensions(x4j_client* c, void* buffer, long long* dims, int max_dims);
long long x4j_buffer_on_device_size(x4j_client* c, void* buffer);
/* 1 if the runtime deleted the buffer (e.g. donated to an execution), 0 if not, -1 on failure. */
int x4j_buffer_is_deleted(x4j_client* c, void* buffer);
int x4j_buffer_destroy(x4j_client* c, void* buffer);
/* Blocks until the buffer's contents are defined (its producing transfer or execution finished);
 * returns that operation's error, if any. */
int x4j_buffer_await_ready(x4j_client* c, void* buffer);

/* Runs an execution. args: num_devices x num_args buffers, row-major by device; outputs: room for
 * num_devices x num_outputs buffers, filled with new buffers the caller must destroy.
 * device_index >= 0 (with num_devices == 1): run on that device; < 0: the compiled device(s).
 * non_donatable: argument indices that must not be donated; every other argument that the program
 * aliases to an output is donated (and deleted). wait != 0: block until the devices have finished
 * (errors of the run are reported here). */
int x4j_execute(x4j_client* c, void* exe, int device_index, int num_devices, void* const* args,
                int num_args, void** outputs, int num_outputs, const long long* non_donatable,
                int num_non_donatable, int wait);

/* out[0]=replicas, out[1]=partitions, out[2]=outputs per device. */
int x4j_executable_counts(x4j_client* c, void* exe, long long* out);
/* Client device indices the executable runs on, in execution order; returns their count or -1. */
int x4j_executable_devices(x4j_client* c, void* exe, int* indices, int max);
/* The plugin's serialization of a compiled executable (malloc'd; free with x4j_free). */
char* x4j_executable_serialize(x4j_client* c, void* exe, long long* size);
/* Loads an executable serialized by the same plugin version. */
void* x4j_executable_deserialize(x4j_client* c, const char* bytes, size_t size);
/* The optimized program (malloc'd; free with x4j_free); its format (e.g. "hlo_with_config") is
 * written to `format`. */
char* x4j_executable_optimized_program(x4j_client* c, void* exe, long long* size, char* format,
                                       int format_cap);
void x4j_free(void* p);

/* Named values are returned encoded (malloc'd; free with x4j_free; *size set to its length): per
 * value a u32 name length, the name, a u8 PJRT_NamedValue_Type (255: a type this shim does not know,
 * followed by a u32 0), then string: u32 length + bytes; int64: 8 bytes; int64 list: u32 count +
 * count x 8 bytes; float: 8-byte double; bool: 1 byte. Little-endian. NULL on failure, with code
 * UNIMPLEMENTED when the plugin's function table lacks the entry. */
/* The plugin's attributes (PJRT_Plugin_Attributes), e.g. stablehlo_current_version. */
char* x4j_plugin_attributes(x4j_plugin* p, long long* size);
/* The executable's cost properties (PJRT_Executable_GetCostAnalysis), e.g. flops. */
char* x4j_executable_cost_analysis(x4j_client* c, void* exe, long long* size);
/* PJRT_Executable_GetCompiledMemoryStats into out[12]: device generated code, argument, output,
 * alias, temp bytes; the same five for host memory; peak memory, total size (0 from plugins older
 * than those two fields). */
int x4j_executable_memory_stats(x4j_client* c, void* exe, long long* out);
/* The outputs' shardings from the plugin's Shardings extension: u32 count, then per output a u32
 * length + a serialized xla.OpSharding. Little-endian, malloc'd (x4j_free). NULL with code UNIMPLEMENTED
 * when the plugin has no such extension or reports no shardings. */
char* x4j_executable_output_shardings(x4j_client* c, void* exe, long long* size);

/* Host memory for large transfers: page-aligned, zeroed, 2 MiB pages where the kernel allows and
 * already faulted in, so a device-to-host copy runs at transfer speed. Returns the address, 0 on
 * failure; free with x4j_host_free(address, size). */
long long x4j_host_alloc(long long size);
void x4j_host_free(long long address, long long size);

/* ---- uploads from caller-owned host memory (mapped files, pinned staging) ---- */

/* 1 when the plugin's table has PJRT_Client_DmaMap and PJRT_Client_DmaUnmap, else 0. */
int x4j_client_has_dma_map(const x4j_client* c);
/* Registers [address, address + size) for direct DMA (the GPU plugin pins it); transfers from inside a
 * registered region skip the plugin's staging copy. Fails with UNIMPLEMENTED when the plugin lacks it. */
int x4j_dma_map(x4j_client* c, long long address, long long size);
/* Unregisters a region by the address it was registered with. */
int x4j_dma_unmap(x4j_client* c, long long address);
/* Starts a host-to-device copy that reads `address` in place (kImmutableUntilTransferCompletes) and
 * returns without waiting: the buffer, with *done_event set to the event that fires once the plugin no
 * longer reads the host memory (NULL: it is done already). The caller keeps the memory alive and
 * unchanged until x4j_event_await(done_event) returns. NULL on failure. */
void* x4j_buffer_from_host_async(x4j_client* c, int device_index, long long address, int type,
                                 const long long* dims, int num_dims, void** done_event);
/* Waits for an event from x4j_buffer_from_host_async, destroys it, and returns its error (0: none).
 * NULL is ready. */
int x4j_event_await(x4j_client* c, void* event);

#ifdef __cplusplus
}
#endif

#endif /* XLA4J_PJRT_H_ */
