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
/* Number of results per device, or -1 on failure. */
int x4j_executable_num_outputs(x4j_client* c, void* exe);
int x4j_executable_destroy(x4j_client* c, void* exe);

/* Copies dense row-major host data to device `device_index` (the copy is done when this returns). */
void* x4j_buffer_from_host(x4j_client* c, int device_index, const void* data, int type,
                           const long long* dims, int num_dims);
/* Copies a buffer to host memory of dst_size bytes and waits for it. */
int x4j_buffer_to_host(x4j_client* c, void* buffer, void* dst, size_t dst_size);
/* PJRT_Buffer_Type of the buffer, or -1 on failure. */
int x4j_buffer_element_type(x4j_client* c, void* buffer);
/* Writes up to max_dims dimensions; returns the rank, or -1 on failure. */
int x4j_buffer_dimensions(x4j_client* c, void* buffer, long long* dims, int max_dims);
long long x4j_buffer_on_device_size(x4j_client* c, void* buffer);
int x4j_buffer_destroy(x4j_client* c, void* buffer);

/* Runs a single-device execution. args: num_args buffers; outputs: room for num_outputs buffers,
 * filled with new buffers the caller must destroy. device_index < 0: the compiled device.
 * wait != 0: block until the device has finished (errors of the run are reported here). */
int x4j_execute(x4j_client* c, void* exe, int device_index, void* const* args, int num_args,
                void** outputs, int num_outputs, int wait);

#ifdef __cplusplus
}
#endif

#endif /* XLA4J_PJRT_H_ */
