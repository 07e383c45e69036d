/*
 * xla4j PJRT shim implementation. See xla4j_pjrt.h for the contract and pjrt_abi.h for the ABI.
 * Written in the C subset of C++ so that JavaCPP can compile it into the JNI library; link needs
 * only libc and libdl (libstdc++ is linked statically by the build).
 */
#include "xla4j_pjrt.h"
#include "pjrt_abi.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ errors (per thread) */

static thread_local int t_code = 0;
static thread_local char* t_msg = NULL;

static void x4j_clear_error(void) {
  t_code = 0;
  if (t_msg) { free(t_msg); t_msg = NULL; }
}

static void x4j_set_error(int code, const char* fmt, ...) {
  va_list ap;
  char small[1];
  x4j_clear_error();
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  t_msg = (char*)malloc((size_t)n + 1);
  if (t_msg) {
    va_start(ap, fmt);
    vsnprintf(t_msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  t_code = code;
}

extern "C" int x4j_last_error_code(void) { return t_code; }
extern "C" const char* x4j_last_error_message(void) { return t_msg ? t_msg : ""; }

/* absl codes we produce ourselves */
enum { C_INVALID_ARGUMENT = 3, C_NOT_FOUND = 5, C_FAILED_PRECONDITION = 9, C_UNIMPLEMENTED = 12,
       C_INTERNAL = 13 };

/*
 * Declares a zeroed argument struct `v` of type T with room to spare behind it, and sets its
 * struct_size to the whole room. Argument structs only ever grow at the end, and a field added in a
 * later API version reads as zero / NULL, which is "unset" for every such field; plugins refuse a
 * struct_size smaller than the one they were built with (seen: API 0.115 wants 88 bytes of
 * PJRT_Client_Create_Args where 0.33 declared 72) but accept a larger one. Output fields a newer
 * plugin adds land in the spare room.
 */
#define X4J_ARGS_SPARE 256
#define X4J_ARGS(T, v)                                              \
  union { T a; char spare[sizeof(T) + X4J_ARGS_SPARE]; } v##_storage; \
  memset(&v##_storage, 0, sizeof v##_storage);                      \
  T& v = v##_storage.a;                                             \
  v.struct_size = sizeof v##_storage

/* Does the plugin's table reach the slot `field`? */
#define X4J_HAS(api, field)                                                        \
  ((api)->struct_size >= X4J_SIZE_UPTO(PJRT_Api, field) && (api)->field != NULL)

static void x4j_missing(const PJRT_Api* api, const char* fn) {
  x4j_set_error(C_UNIMPLEMENTED, "this PJRT plugin (C API %d.%d) has no %s", api->pjrt_api_version.major_version,
                api->pjrt_api_version.minor_version, fn);
}

/* Returns `ret` from the calling function, with an UNIMPLEMENTED error naming the function and the
 * plugin's API version, when the plugin's table lacks `field` (older plugin, or left NULL). */
#define X4J_REQUIRE(api, field, ret)                                   \
  do {                                                                 \
    if (!X4J_HAS(api, field)) { x4j_missing(api, #field); return ret; } \
  } while (0)

/* Consumes a PJRT_Error: records it as the thread's error and returns its code (0 if err==NULL). */
static int x4j_take(const PJRT_Api* api, PJRT_Error* err, const char* what) {
  if (err == NULL) return 0;
  X4J_ARGS(PJRT_Error_Message_Args, m);
  m.error = err;
  api->PJRT_Error_Message(&m);
  X4J_ARGS(PJRT_Error_GetCode_Args, g);
  g.error = err;
  PJRT_Error* ge = api->PJRT_Error_GetCode(&g);
  int code = g.code;
  if (ge != NULL) { /* should not happen; do not leak it */
    X4J_ARGS(PJRT_Error_Destroy_Args, d); d.error = ge;
    api->PJRT_Error_Destroy(&d);
    code = C_INTERNAL;
  }
  if (code <= 0 || code > 16) code = 2; /* UNKNOWN */
  x4j_set_error(code, "%s: %.*s", what, (int)m.message_size, m.message ? m.message : "");
  X4J_ARGS(PJRT_Error_Destroy_Args, d);
  d.error = err;
  api->PJRT_Error_Destroy(&d);
  return code;
}

/* Waits for and destroys an event; returns 0 or the recorded error code. NULL event is ready. */
static int x4j_await(const PJRT_Api* api, PJRT_Event* ev, const char* what) {
  if (ev == NULL) return 0;
  X4J_ARGS(PJRT_Event_Await_Args, a);
  a.event = ev;
  int rc = x4j_take(api, api->PJRT_Event_Await(&a), what);
  X4J_ARGS(PJRT_Event_Destroy_Args, d);
  d.event = ev;
  PJRT_Error* de = api->PJRT_Event_Destroy(&d);
  if (rc == 0) rc = x4j_take(api, de, "PJRT_Event_Destroy");
  else if (de) { /* keep the first error; drop the second */
    X4J_ARGS(PJRT_Error_Destroy_Args, e); e.error = de;
    api->PJRT_Error_Destroy(&e);
  }
  return rc;
}

static char* x4j_strndup(const char* s, size_t n) {
  char* r = (char*)malloc(n + 1);
  if (r) { if (n) memcpy(r, s, n); r[n] = 0; }
  return r;
}

/* ------------------------------------------------------------------ plugins */

struct x4j_plugin {
  char* path;
  void* dl;
  const PJRT_Api* api;
  x4j_plugin* next;
};

static pthread_mutex_t g_plugins_lock = PTHREAD_MUTEX_INITIALIZER;
static x4j_plugin* g_plugins = NULL;

extern "C" x4j_plugin* x4j_plugin_load(const char* path) {
  x4j_clear_error();
  if (path == NULL || !*path) { x4j_set_error(C_INVALID_ARGUMENT, "empty plugin path"); return NULL; }
  pthread_mutex_lock(&g_plugins_lock);
  for (x4j_plugin* p = g_plugins; p; p = p->next) {
    if (strcmp(p->path, path) == 0) { pthread_mutex_unlock(&g_plugins_lock); return p; }
  }
  x4j_plugin* result = NULL;
  void* dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (dl == NULL) {
    const char* e = dlerror();
    x4j_set_error(C_NOT_FOUND, "cannot load PJRT plugin %s: %s", path, e ? e : "dlopen failed");
    goto out;
  }
  {
    x4j_GetPjrtApi_fn get = (x4j_GetPjrtApi_fn)dlsym(dl, "GetPjrtApi");
    if (get == NULL) {
      x4j_set_error(C_INVALID_ARGUMENT, "%s is not a PJRT plugin: it exports no GetPjrtApi", path);
      goto out; /* leave it loaded: unloading arbitrary libraries is not safe */
    }
    const PJRT_Api* api = get();
    if (api == NULL) { x4j_set_error(C_INTERNAL, "%s: GetPjrtApi returned NULL", path); goto out; }
    int major = api->pjrt_api_version.major_version;
    int minor = api->pjrt_api_version.minor_version;
    if (major != X4J_PJRT_API_MAJOR) {
      x4j_set_error(C_FAILED_PRECONDITION,
                    "%s implements PJRT C API %d.%d; xla4j speaks major version %d only", path,
                    major, minor, X4J_PJRT_API_MAJOR);
      goto out;
    }
    if (!X4J_HAS(api, PJRT_Buffer_ToHostBuffer)) {
      x4j_set_error(C_FAILED_PRECONDITION,
                    "%s (PJRT C API %d.%d) has a function table too short for xla4j", path, major, minor);
      goto out;
    }
    if (X4J_HAS(api, PJRT_Plugin_Initialize)) {
      X4J_ARGS(PJRT_Plugin_Initialize_Args, a);
      if (x4j_take(api, api->PJRT_Plugin_Initialize(&a), "PJRT_Plugin_Initialize")) goto out;
    }
    result = (x4j_plugin*)calloc(1, sizeof *result);
    result->path = x4j_strndup(path, strlen(path));
    result->dl = dl;
    result->api = api;
    result->next = g_plugins;
    g_plugins = result;
  }
out:
  pthread_mutex_unlock(&g_plugins_lock);
  return result;
}

extern "C" int x4j_plugin_api_major(const x4j_plugin* p) { return p->api->pjrt_api_version.major_version; }
extern "C" int x4j_plugin_api_minor(const x4j_plugin* p) { return p->api->pjrt_api_version.minor_version; }

/* ------------------------------------------------------------------ clients */

struct x4j_client {
  const PJRT_Api* api;
  PJRT_Client* client;
  char* platform_name;
  char* platform_version;
  int num_devices;
  PJRT_Device** devices; /* our copy of the pointer array; the devices belong to the client */
  int* ids;
  int* process_indices;
  char** kinds;
};

static void x4j_client_free(x4j_client* c) {
  if (!c) return;
  for (int i = 0; i < c->num_devices; i++) free(c->kinds ? c->kinds[i] : NULL);
  free(c->kinds);
  free(c->ids);
  free(c->process_indices);
  free(c->devices);
  free(c->platform_name);
  free(c->platform_version);
  free(c);
}

static int x4j_pjrt_client_destroy(const PJRT_Api* api, PJRT_Client* pc) {
  X4J_ARGS(PJRT_Client_Destroy_Args, d);
  d.client = pc;
  return x4j_take(api, api->PJRT_Client_Destroy(&d), "PJRT_Client_Destroy");
}

extern "C" x4j_client* x4j_client_create(x4j_plugin* p, int n, const char** names, const int* kinds,
                                         const char** str_values, const long long* int_values,
                                         const double* float_values) {
  x4j_clear_error();
  const PJRT_Api* api = p->api;
  PJRT_NamedValue* opts = n > 0 ? (PJRT_NamedValue*)calloc((size_t)n, sizeof *opts) : NULL;
  int64_t** lists = n > 0 ? (int64_t**)calloc((size_t)n, sizeof *lists) : NULL;
  x4j_client* c = NULL;
  for (int i = 0; i < n; i++) {
    PJRT_NamedValue* o = &opts[i];
    o->struct_size = X4J_SIZE_UPTO(PJRT_NamedValue, value_size);
    o->name = names[i];
    o->name_size = strlen(names[i]);
    o->type = kinds[i];
    o->value_size = 1;
    switch (kinds[i]) {
      case X4J_NV_STRING:
        o->v.string_value = str_values[i];
        o->value_size = strlen(str_values[i]);
        break;
      case X4J_NV_INT64: o->v.int64_value = int_values[i]; break;
      case X4J_NV_FLOAT: o->v.float_value = (float)float_values[i]; break;
      case X4J_NV_BOOL: o->v.bool_value = int_values[i] != 0; break;
      case X4J_NV_INT64_LIST: {
        const char* s = str_values[i];
        size_t cap = 1;
        for (const char* q = s; *q; q++) cap += *q == ',';
        lists[i] = (int64_t*)calloc(cap, sizeof(int64_t));
        size_t k = 0;
        while (*s) {
          char* end;
          long long v = strtoll(s, &end, 10);
          if (end == s) break;
          lists[i][k++] = v;
          s = *end == ',' ? end + 1 : end;
        }
        o->v.int64_array_value = lists[i];
        o->value_size = k;
        break;
      }
      default:
        x4j_set_error(C_INVALID_ARGUMENT, "create option %s: unknown kind %d", names[i], kinds[i]);
        goto out;
    }
  }
  {
    X4J_ARGS(PJRT_Client_Create_Args, a);
    a.create_options = opts;
    a.num_options = (size_t)n;
    if (x4j_take(api, api->PJRT_Client_Create(&a), "PJRT_Client_Create")) goto out;
    c = (x4j_client*)calloc(1, sizeof *c);
    c->api = api;
    c->client = a.client;

    X4J_ARGS(PJRT_Client_PlatformName_Args, pn);
    pn.client = c->client;
    if (x4j_take(api, api->PJRT_Client_PlatformName(&pn), "PJRT_Client_PlatformName")) goto fail;
    c->platform_name = x4j_strndup(pn.platform_name, pn.platform_name_size);

    X4J_ARGS(PJRT_Client_PlatformVersion_Args, pv);
    pv.client = c->client;
    if (x4j_take(api, api->PJRT_Client_PlatformVersion(&pv), "PJRT_Client_PlatformVersion")) goto fail;
    c->platform_version = x4j_strndup(pv.platform_version, pv.platform_version_size);

    X4J_ARGS(PJRT_Client_AddressableDevices_Args, ad);
    ad.client = c->client;
    if (x4j_take(api, api->PJRT_Client_AddressableDevices(&ad), "PJRT_Client_AddressableDevices")) goto fail;
    int nd = (int)ad.num_addressable_devices;
    c->devices = (PJRT_Device**)calloc((size_t)(nd > 0 ? nd : 1), sizeof(PJRT_Device*));
    c->ids = (int*)calloc((size_t)(nd > 0 ? nd : 1), sizeof(int));
    c->process_indices = (int*)calloc((size_t)(nd > 0 ? nd : 1), sizeof(int));
    c->kinds = (char**)calloc((size_t)(nd > 0 ? nd : 1), sizeof(char*));
    c->num_devices = nd;
    for (int i = 0; i < nd; i++) {
      c->devices[i] = ad.addressable_devices[i];
      X4J_ARGS(PJRT_Device_GetDescription_Args, gd);
      gd.device = c->devices[i];
      if (x4j_take(api, api->PJRT_Device_GetDescription(&gd), "PJRT_Device_GetDescription")) goto fail;
      X4J_ARGS(PJRT_DeviceDescription_Id_Args, id);
      id.device_description = gd.device_description;
      if (x4j_take(api, api->PJRT_DeviceDescription_Id(&id), "PJRT_DeviceDescription_Id")) goto fail;
      c->ids[i] = id.id;
      X4J_ARGS(PJRT_DeviceDescription_ProcessIndex_Args, pi);
      pi.device_description = gd.device_description;
      if (x4j_take(api, api->PJRT_DeviceDescription_ProcessIndex(&pi), "PJRT_DeviceDescription_ProcessIndex")) goto fail;
      c->process_indices[i] = pi.process_index;
      X4J_ARGS(PJRT_DeviceDescription_Kind_Args, k);
      k.device_description = gd.device_description;
      if (x4j_take(api, api->PJRT_DeviceDescription_Kind(&k), "PJRT_DeviceDescription_Kind")) goto fail;
      c->kinds[i] = x4j_strndup(k.device_kind, k.device_kind_size);
    }
    goto out;
  }
fail:
  {
    /* keep the first error's text while tearing down */
    int code = t_code;
    char* msg = t_msg; t_msg = NULL;
    x4j_pjrt_client_destroy(api, c->client);
    x4j_client_free(c);
    c = NULL;
    x4j_clear_error();
    t_code = code; t_msg = msg;
  }
out:
  if (lists) for (int i = 0; i < n; i++) free(lists[i]);
  free(lists);
  free(opts);
  return c;
}

extern "C" int x4j_client_destroy(x4j_client* c) {
  x4j_clear_error();
  if (c == NULL) return 0;
  int rc = x4j_pjrt_client_destroy(c->api, c->client);
  x4j_client_free(c);
  return rc;
}

extern "C" const char* x4j_client_platform_name(const x4j_client* c) { return c->platform_name; }
extern "C" const char* x4j_client_platform_version(const x4j_client* c) { return c->platform_version; }
extern "C" int x4j_client_num_devices(const x4j_client* c) { return c->num_devices; }

static int x4j_check_device(const x4j_client* c, int index) {
  if (index < 0 || index >= c->num_devices) {
    x4j_set_error(C_INVALID_ARGUMENT, "device index %d out of range [0, %d)", index, c->num_devices);
    return C_INVALID_ARGUMENT;
  }
  return 0;
}

extern "C" int x4j_device_id(const x4j_client* c, int index) {
  return x4j_check_device(c, index) ? -1 : c->ids[index];
}
extern "C" int x4j_device_process_index(const x4j_client* c, int index) {
  return x4j_check_device(c, index) ? -1 : c->process_indices[index];
}
extern "C" const char* x4j_device_kind(const x4j_client* c, int index) {
  return x4j_check_device(c, index) ? "" : c->kinds[index];
}

extern "C" int x4j_device_memory_stats(x4j_client* c, int index, long long* out) {
  x4j_clear_error();
  if (x4j_check_device(c, index)) return C_INVALID_ARGUMENT;
  const PJRT_Api* api = c->api;
  X4J_REQUIRE(api, PJRT_Device_MemoryStats, C_UNIMPLEMENTED);
  X4J_ARGS(PJRT_Device_MemoryStats_Args, a);
  a.device = c->devices[index];
  int rc = x4j_take(api, api->PJRT_Device_MemoryStats(&a), "PJRT_Device_MemoryStats");
  if (rc) return rc;
  out[0] = a.bytes_in_use;
  out[1] = a.peak_bytes_in_use_is_set ? a.peak_bytes_in_use : -1;
  out[2] = a.bytes_limit_is_set ? a.bytes_limit : -1;
  return 0;
}

/* ------------------------------------------------------------------ executables */

extern "C" void* x4j_compile(x4j_client* c, const char* code, size_t code_size, const char* format,
                             const char* options, size_t options_size) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  X4J_ARGS(PJRT_Program, prog);
  prog.code = (char*)code;
  prog.code_size = code_size;
  prog.format = format;
  prog.format_size = strlen(format);
  X4J_ARGS(PJRT_Client_Compile_Args, a);
  a.client = c->client;
  a.program = &prog;
  a.compile_options = options;
  a.compile_options_size = options_size;
  if (x4j_take(api, api->PJRT_Client_Compile(&a), "PJRT_Client_Compile")) return NULL;
  return a.executable;
}

extern "C" int x4j_executable_destroy(x4j_client* c, void* exe) {
  x4j_clear_error();
  if (exe == NULL) return 0;
  X4J_ARGS(PJRT_LoadedExecutable_Destroy_Args, d);
  d.executable = (PJRT_LoadedExecutable*)exe;
  return x4j_take(c->api, c->api->PJRT_LoadedExecutable_Destroy(&d), "PJRT_LoadedExecutable_Destroy");
}

/* ------------------------------------------------------------------ buffers */

extern "C" void* x4j_buffer_from_host(x4j_client* c, int device_index, const void* data, int type,
                                      const long long* dims, int num_dims, int semantics) {
  x4j_clear_error();
  if (x4j_check_device(c, device_index)) return NULL;
  const PJRT_Api* api = c->api;
  int64_t d64[64];
  if (num_dims < 0 || num_dims > 64) { x4j_set_error(C_INVALID_ARGUMENT, "rank %d not supported", num_dims); return NULL; }
  for (int i = 0; i < num_dims; i++) d64[i] = dims[i];
  X4J_ARGS(PJRT_Client_BufferFromHostBuffer_Args, a);
  a.client = c->client;
  a.data = data;
  a.type = type;
  a.dims = d64;
  a.num_dims = (size_t)num_dims;
  if (semantics != X4J_HOST_IMMUTABLE_ONLY_DURING_CALL && semantics != X4J_HOST_IMMUTABLE_UNTIL_TRANSFER_COMPLETES) {
    x4j_set_error(C_INVALID_ARGUMENT, "host buffer semantics %d not supported (0 or 1)", semantics);
    return NULL;
  }
  a.host_buffer_semantics = semantics;
  a.device = c->devices[device_index];
  if (x4j_take(api, api->PJRT_Client_BufferFromHostBuffer(&a), "PJRT_Client_BufferFromHostBuffer")) return NULL;
  /* The host data may be reused once this event fires (for semantics 1: once the transfer no longer
   * reads it); wait so the caller may free or change it on return. */
  if (x4j_await(api, a.done_with_host_buffer, "host-to-device transfer")) {
    int code = t_code; char* msg = t_msg; t_msg = NULL;
    x4j_buffer_destroy(c, a.buffer);
    x4j_clear_error(); t_code = code; t_msg = msg;
    return NULL;
  }
  return a.buffer;
}

extern "C" int x4j_buffer_to_host(x4j_client* c, void* buffer, void* dst, size_t dst_size) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  X4J_ARGS(PJRT_Buffer_ToHostBuffer_Args, a);
  a.src = (PJRT_Buffer*)buffer;
  a.dst = NULL; /* first ask for the size */
  int rc = x4j_take(api, api->PJRT_Buffer_ToHostBuffer(&a), "PJRT_Buffer_ToHostBuffer(size)");
  if (rc) return rc;
  if (a.dst_size != dst_size) {
    x4j_set_error(C_INVALID_ARGUMENT, "device buffer holds %zu bytes, host destination has %zu",
                  a.dst_size, dst_size);
    return C_INVALID_ARGUMENT;
  }
  memset(&a_storage, 0, sizeof a_storage);
  a.struct_size = sizeof a_storage;
  a.src = (PJRT_Buffer*)buffer;
  a.dst = dst;
  a.dst_size = dst_size;
  rc = x4j_take(api, api->PJRT_Buffer_ToHostBuffer(&a), "PJRT_Buffer_ToHostBuffer");
  if (rc) return rc;
  return x4j_await(api, a.event, "device-to-host transfer");
}

extern "C" int x4j_buffer_element_type(x4j_client* c, void* buffer) {
  x4j_clear_error();
  X4J_ARGS(PJRT_Buffer_ElementType_Args, a);
  a.buffer = (PJRT_Buffer*)buffer;
  if (x4j_take(c->api, c->api->PJRT_Buffer_ElementType(&a), "PJRT_Buffer_ElementType")) return -1;
  return a.type;
}

extern "C" int x4j_buffer_dimensions(x4j_client* c, void* buffer, long long* dims, int max_dims) {
  x4j_clear_error();
  X4J_ARGS(PJRT_Buffer_Dimensions_Args, a);
  a.buffer = (PJRT_Buffer*)buffer;
  if (x4j_take(c->api, c->api->PJRT_Buffer_Dimensions(&a), "PJRT_Buffer_Dimensions")) return -1;
  for (size_t i = 0; i < a.num_dims && (int)i < max_dims; i++) dims[i] = a.dims[i];
  return (int)a.num_dims;
}

extern "C" long long x4j_buffer_on_device_size(x4j_client* c, void* buffer) {
  x4j_clear_error();
  X4J_ARGS(PJRT_Buffer_OnDeviceSizeInBytes_Args, a);
  a.buffer = (PJRT_Buffer*)buffer;
  if (x4j_take(c->api, c->api->PJRT_Buffer_OnDeviceSizeInBytes(&a), "PJRT_Buffer_OnDeviceSizeInBytes")) return -1;
  return (long long)a.on_device_size_in_bytes;
}

extern "C" int x4j_buffer_destroy(x4j_client* c, void* buffer) {
  x4j_clear_error();
  if (buffer == NULL) return 0;
  X4J_ARGS(PJRT_Buffer_Destroy_Args, a);
  a.buffer = (PJRT_Buffer*)buffer;
  return x4j_take(c->api, c->api->PJRT_Buffer_Destroy(&a), "PJRT_Buffer_Destroy");
}

/* ------------------------------------------------------------------ execution */

extern "C" int x4j_execute(x4j_client* c, void* exe, int device_index, int num_devices,
                           void* const* args, int num_args, void** outputs, int num_outputs,
                           const long long* non_donatable, int num_non_donatable, int wait) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  PJRT_Device* dev = NULL;
  if (num_devices < 1 || num_devices > 4096) {
    x4j_set_error(C_INVALID_ARGUMENT, "execute: %d devices", num_devices);
    return C_INVALID_ARGUMENT;
  }
  if (device_index >= 0) {
    if (num_devices != 1) {
      x4j_set_error(C_INVALID_ARGUMENT, "execute: a device index needs exactly one argument list");
      return C_INVALID_ARGUMENT;
    }
    if (x4j_check_device(c, device_index)) return C_INVALID_ARGUMENT;
    dev = c->devices[device_index];
  }
  for (int i = 0; i < num_outputs * num_devices; i++) outputs[i] = NULL;
  PJRT_Buffer* const** alist = (PJRT_Buffer* const**)calloc((size_t)num_devices, sizeof(void*));
  PJRT_Buffer*** olist = (PJRT_Buffer***)calloc((size_t)num_devices, sizeof(void*));
  PJRT_Event** done = (PJRT_Event**)calloc((size_t)num_devices, sizeof(void*));
  int64_t* nd = (int64_t*)calloc((size_t)(num_non_donatable > 0 ? num_non_donatable : 1), sizeof(int64_t));
  int rc = 0;
  if (!alist || !olist || !done || !nd) {
    x4j_set_error(C_INTERNAL, "execute: out of host memory");
    rc = C_INTERNAL;
    goto out;
  }
  for (int d = 0; d < num_devices; d++) {
    alist[d] = (PJRT_Buffer* const*)(args + (size_t)d * num_args);
    olist[d] = (PJRT_Buffer**)(outputs + (size_t)d * num_outputs);
  }
  for (int i = 0; i < num_non_donatable; i++) nd[i] = non_donatable[i];
  {
    X4J_ARGS(PJRT_ExecuteOptions, opts);
    /* An empty list means "every input the program aliases may be donated". */
    opts.non_donatable_input_indices = num_non_donatable > 0 ? nd : NULL;
    opts.num_non_donatable_input_indices = (size_t)(num_non_donatable > 0 ? num_non_donatable : 0);
    X4J_ARGS(PJRT_LoadedExecutable_Execute_Args, a);
    a.executable = (PJRT_LoadedExecutable*)exe;
    a.options = &opts;
    a.argument_lists = alist;
    a.num_devices = (size_t)num_devices;
    a.num_args = (size_t)num_args;
    a.output_lists = olist;
    a.device_complete_events = wait ? done : NULL;
    a.execute_device = dev;
    rc = x4j_take(api, api->PJRT_LoadedExecutable_Execute(&a), "PJRT_LoadedExecutable_Execute");
  }
  if (rc == 0 && wait) {
    for (int d = 0; d < num_devices; d++) {
      int r = x4j_await(api, done[d], "execution");
      if (r && rc == 0) rc = r; /* keep the first error; still release every event */
      else if (r) x4j_clear_error();
    }
    if (rc) {
      int code = t_code; char* msg = t_msg; t_msg = NULL;
      for (int i = 0; i < num_outputs * num_devices; i++) { x4j_buffer_destroy(c, outputs[i]); outputs[i] = NULL; }
      x4j_clear_error(); t_code = code; t_msg = msg;
    }
  }
out:
  free(alist); free(olist); free(done); free(nd);
  return rc;
}

extern "C" int x4j_buffer_is_deleted(x4j_client* c, void* buffer) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  X4J_REQUIRE(api, PJRT_Buffer_IsDeleted, -1);
  X4J_ARGS(PJRT_Buffer_IsDeleted_Args, a);
  a.buffer = (PJRT_Buffer*)buffer;
  if (x4j_take(api, api->PJRT_Buffer_IsDeleted(&a), "PJRT_Buffer_IsDeleted")) return -1;
  return a.is_deleted ? 1 : 0;
}

extern "C" int x4j_buffer_await_ready(x4j_client* c, void* buffer) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  X4J_REQUIRE(api, PJRT_Buffer_ReadyEvent, C_UNIMPLEMENTED);
  X4J_ARGS(PJRT_Buffer_ReadyEvent_Args, a);
  a.buffer = (PJRT_Buffer*)buffer;
  int rc = x4j_take(api, api->PJRT_Buffer_ReadyEvent(&a), "PJRT_Buffer_ReadyEvent");
  if (rc) return rc;
  return x4j_await(api, a.event, "buffer ready");
}

/* ------------------------------------------------------------------ serialization, programs */

extern "C" void x4j_free(void* p) { free(p); }

/* ------------------------------------------------------------------ host memory for transfers */

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

extern "C" long long x4j_host_alloc(long long size) {
  x4j_clear_error();
  if (size <= 0) size = 1;
  void* p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    x4j_set_error(8 /* RESOURCE_EXHAUSTED */, "cannot map %lld bytes of host memory", size);
    return 0;
  }
  if (size >= (2LL << 20)) {
    /* 2 MiB pages: 512x fewer page faults when a transfer first writes the memory. Best effort:
     * with transparent huge pages off this changes nothing. */
    (void)madvise(p, (size_t)size, MADV_HUGEPAGE);
    /* fault it all in now, in one call, rather than one trap per page during the copy (Linux 5.14+) */
    (void)madvise(p, (size_t)size, MADV_POPULATE_WRITE);
  }
  return (long long)(uintptr_t)p;
}

extern "C" void x4j_host_free(long long address, long long size) {
  if (address != 0) munmap((void*)(uintptr_t)address, (size_t)(size <= 0 ? 1 : size));
}

/* The PJRT_Executable view of a loaded executable; release it with x4j_drop_executable. */
static PJRT_Executable* x4j_get_executable(const PJRT_Api* api, void* exe) {
  X4J_ARGS(PJRT_LoadedExecutable_GetExecutable_Args, g);
  g.loaded_executable = (PJRT_LoadedExecutable*)exe;
  if (x4j_take(api, api->PJRT_LoadedExecutable_GetExecutable(&g), "PJRT_LoadedExecutable_GetExecutable")) return NULL;
  return g.executable;
}

static void x4j_drop_executable(const PJRT_Api* api, PJRT_Executable* e) {
  X4J_ARGS(PJRT_Executable_Destroy_Args, d);
  d.executable = e;
  PJRT_Error* de = api->PJRT_Executable_Destroy(&d);
  if (de) { X4J_ARGS(PJRT_Error_Destroy_Args, x); x.error = de; api->PJRT_Error_Destroy(&x); }
}

extern "C" char* x4j_executable_serialize(x4j_client* c, void* exe, long long* size) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  *size = 0;
  X4J_REQUIRE(api, PJRT_Executable_Serialize, NULL);
  PJRT_Executable* e = x4j_get_executable(api, exe);
  if (e == NULL) return NULL;
  X4J_ARGS(PJRT_Executable_Serialize_Args, a);
  a.executable = e;
  char* out = NULL;
  if (x4j_take(api, api->PJRT_Executable_Serialize(&a), "PJRT_Executable_Serialize") == 0) {
    out = (char*)malloc(a.serialized_bytes_size > 0 ? a.serialized_bytes_size : 1);
    if (out == NULL) {
      x4j_set_error(C_INTERNAL, "serialize: out of host memory (%zu bytes)", a.serialized_bytes_size);
    } else {
      if (a.serialized_bytes_size) memcpy(out, a.serialized_bytes, a.serialized_bytes_size);
      *size = (long long)a.serialized_bytes_size;
    }
    if (a.serialized_executable_deleter) a.serialized_executable_deleter(a.serialized_executable);
  }
  x4j_drop_executable(api, e);
  return out;
}

extern "C" void* x4j_executable_deserialize(x4j_client* c, const char* bytes, size_t size) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  X4J_REQUIRE(api, PJRT_Executable_DeserializeAndLoad, NULL);
  X4J_ARGS(PJRT_Executable_DeserializeAndLoad_Args, a);
  a.client = c->client;
  a.serialized_executable = bytes;
  a.serialized_executable_size = size;
  if (x4j_take(api, api->PJRT_Executable_DeserializeAndLoad(&a), "PJRT_Executable_DeserializeAndLoad")) return NULL;
  return a.loaded_executable;
}

extern "C" char* x4j_executable_optimized_program(x4j_client* c, void* exe, long long* size, char* format,
                                                  int format_cap) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  *size = 0;
  if (format_cap > 0) format[0] = 0;
  X4J_REQUIRE(api, PJRT_Executable_OptimizedProgram, NULL);
  PJRT_Executable* e = x4j_get_executable(api, exe);
  if (e == NULL) return NULL;
  char* out = NULL;
  X4J_ARGS(PJRT_Program, prog);
  X4J_ARGS(PJRT_Executable_OptimizedProgram_Args, a);
  a.executable = e;
  a.program = &prog;
  if (x4j_take(api, api->PJRT_Executable_OptimizedProgram(&a), "PJRT_Executable_OptimizedProgram(size)") == 0) {
    size_t n = prog.code_size;
    out = (char*)malloc(n > 0 ? n : 1);
    if (out == NULL) {
      x4j_set_error(C_INTERNAL, "optimized program: out of host memory");
    } else {
      prog.code = out;
      if (x4j_take(api, api->PJRT_Executable_OptimizedProgram(&a), "PJRT_Executable_OptimizedProgram")) {
        free(out); out = NULL;
      } else {
        *size = (long long)prog.code_size;
        if (format_cap > 0) {
          size_t k = prog.format_size < (size_t)format_cap - 1 ? prog.format_size : (size_t)format_cap - 1;
          if (prog.format && k) memcpy(format, prog.format, k);
          format[k] = 0;
        }
      }
    }
  }
  x4j_drop_executable(api, e);
  return out;
}

extern "C" int x4j_executable_counts(x4j_client* c, void* exe, long long* out) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  PJRT_Executable* e = x4j_get_executable(api, exe);
  if (e == NULL) return x4j_last_error_code();
  X4J_ARGS(PJRT_Executable_NumReplicas_Args, r);
  r.executable = e;
  int rc = x4j_take(api, api->PJRT_Executable_NumReplicas(&r), "PJRT_Executable_NumReplicas");
  X4J_ARGS(PJRT_Executable_NumPartitions_Args, p);
  p.executable = e;
  if (rc == 0) rc = x4j_take(api, api->PJRT_Executable_NumPartitions(&p), "PJRT_Executable_NumPartitions");
  X4J_ARGS(PJRT_Executable_NumOutputs_Args, o);
  o.executable = e;
  if (rc == 0) rc = x4j_take(api, api->PJRT_Executable_NumOutputs(&o), "PJRT_Executable_NumOutputs");
  if (rc == 0) { out[0] = (long long)r.num_replicas; out[1] = (long long)p.num_partitions; out[2] = (long long)o.num_outputs; }
  x4j_drop_executable(api, e);
  return rc;
}

extern "C" int x4j_executable_devices(x4j_client* c, void* exe, int* indices, int max) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  X4J_ARGS(PJRT_LoadedExecutable_AddressableDevices_Args, a);
  a.executable = (PJRT_LoadedExecutable*)exe;
  if (x4j_take(api, api->PJRT_LoadedExecutable_AddressableDevices(&a), "PJRT_LoadedExecutable_AddressableDevices")) return -1;
  int n = (int)a.num_addressable_devices;
  for (int i = 0; i < n && i < max; i++) {
    indices[i] = -1;
    for (int k = 0; k < c->num_devices; k++) if (c->devices[k] == a.addressable_devices[i]) { indices[i] = k; break; }
  }
  return n;
}

/* ------------------------------------------------------------------ named values, analyses */

/* Appends n bytes to a growing malloc'd buffer; returns 0 when out of memory. */
typedef struct { char* p; size_t n; size_t cap; } x4j_bytes;

static int x4j_put(x4j_bytes* b, const void* src, size_t n) {
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n) cap *= 2;
    char* q = (char*)realloc(b->p, cap);
    if (q == NULL) return 0;
    b->p = q;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->n, src, n);
  b->n += n;
  return 1;
}

/*
 * Encodes named values for Java (host byte order, i.e. little-endian on the platforms we build for):
 * per value: u32 name length, name bytes, u8 type (PJRT_NamedValue_Type), then the value: string: u32
 * length + bytes; int64: 8 bytes; int64 list: u32 count + count x 8 bytes; float: an 8-byte double;
 * bool: 1 byte. Returns a malloc'd buffer (free with x4j_free), NULL on failure.
 */
static char* x4j_encode_named_values(const PJRT_NamedValue* v, size_t n, long long* size) {
  x4j_bytes b = {NULL, 0, 0};
  int ok = x4j_put(&b, "", 0);
  for (size_t i = 0; ok && i < n; i++) {
    const PJRT_NamedValue* x = &v[i];
    uint32_t name_len = (uint32_t)x->name_size;
    uint8_t type = (uint8_t)x->type;
    ok = x4j_put(&b, &name_len, 4) && x4j_put(&b, x->name, name_len) && x4j_put(&b, &type, 1);
    if (!ok) break;
    switch (x->type) {
      case X4J_NV_STRING: {
        uint32_t len = (uint32_t)x->value_size;
        ok = x4j_put(&b, &len, 4) && x4j_put(&b, x->v.string_value, len);
        break;
      }
      case X4J_NV_INT64: ok = x4j_put(&b, &x->v.int64_value, 8); break;
      case X4J_NV_INT64_LIST: {
        uint32_t count = (uint32_t)x->value_size;
        ok = x4j_put(&b, &count, 4) && x4j_put(&b, x->v.int64_array_value, (size_t)count * 8);
        break;
      }
      case X4J_NV_FLOAT: { double d = x->v.float_value; ok = x4j_put(&b, &d, 8); break; }
      case X4J_NV_BOOL: { uint8_t t = x->v.bool_value ? 1 : 0; ok = x4j_put(&b, &t, 1); break; }
      default: {
        /* a type newer than this shim: keep the name, say nothing about the value */
        uint32_t zero = 0;
        type = 255;
        b.p[b.n - 1] = (char)type;
        ok = x4j_put(&b, &zero, 4);
        break;
      }
    }
  }
  if (!ok) {
    free(b.p);
    x4j_set_error(C_INTERNAL, "named values: out of host memory");
    return NULL;
  }
  *size = (long long)b.n;
  return b.p;
}

extern "C" char* x4j_plugin_attributes(x4j_plugin* p, long long* size) {
  x4j_clear_error();
  const PJRT_Api* api = p->api;
  *size = 0;
  X4J_REQUIRE(api, PJRT_Plugin_Attributes, NULL);
  X4J_ARGS(PJRT_Plugin_Attributes_Args, a);
  if (x4j_take(api, api->PJRT_Plugin_Attributes(&a), "PJRT_Plugin_Attributes")) return NULL;
  return x4j_encode_named_values(a.attributes, a.num_attributes, size);
}

extern "C" char* x4j_executable_cost_analysis(x4j_client* c, void* exe, long long* size) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  *size = 0;
  X4J_REQUIRE(api, PJRT_Executable_GetCostAnalysis, NULL);
  PJRT_Executable* e = x4j_get_executable(api, exe);
  if (e == NULL) return NULL;
  char* out = NULL;
  X4J_ARGS(PJRT_Executable_GetCostAnalysis_Args, a);
  a.executable = e;
  /* the properties belong to `e`: encode them before dropping it */
  if (x4j_take(api, api->PJRT_Executable_GetCostAnalysis(&a), "PJRT_Executable_GetCostAnalysis") == 0) {
    out = x4j_encode_named_values(a.properties, a.num_properties, size);
  }
  x4j_drop_executable(api, e);
  return out;
}

extern "C" int x4j_executable_memory_stats(x4j_client* c, void* exe, long long* out) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  X4J_REQUIRE(api, PJRT_Executable_GetCompiledMemoryStats, C_UNIMPLEMENTED);
  PJRT_Executable* e = x4j_get_executable(api, exe);
  if (e == NULL) return x4j_last_error_code();
  X4J_ARGS(PJRT_Executable_GetCompiledMemoryStats_Args, a);
  a.executable = e;
  int rc = x4j_take(api, api->PJRT_Executable_GetCompiledMemoryStats(&a), "PJRT_Executable_GetCompiledMemoryStats");
  if (rc == 0) {
    out[0] = a.generated_code_size_in_bytes;
    out[1] = a.argument_size_in_bytes;
    out[2] = a.output_size_in_bytes;
    out[3] = a.alias_size_in_bytes;
    out[4] = a.temp_size_in_bytes;
    out[5] = a.host_generated_code_size_in_bytes;
    out[6] = a.host_argument_size_in_bytes;
    out[7] = a.host_output_size_in_bytes;
    out[8] = a.host_alias_size_in_bytes;
    out[9] = a.host_temp_size_in_bytes;
    out[10] = a.peak_memory_in_bytes;
    out[11] = a.total_size_in_bytes;
  }
  x4j_drop_executable(api, e);
  return rc;
}

/* ------------------------------------------------------------------ uploads from caller memory */

extern "C" int x4j_client_has_dma_map(const x4j_client* c) {
  return X4J_HAS(c->api, PJRT_Client_DmaMap) && X4J_HAS(c->api, PJRT_Client_DmaUnmap) ? 1 : 0;
}

extern "C" int x4j_dma_map(x4j_client* c, long long address, long long size) {
  x4j_clear_error();
  if (!X4J_HAS(c->api, PJRT_Client_DmaMap)) {
    x4j_set_error(C_UNIMPLEMENTED, "PJRT_Client_DmaMap: the plugin (API %d.%d) does not have it",
                  c->api->pjrt_api_version.major_version, c->api->pjrt_api_version.minor_version);
    return C_UNIMPLEMENTED;
  }
  if (address == 0 || size <= 0) {
    x4j_set_error(C_INVALID_ARGUMENT, "PJRT_Client_DmaMap: needs a non-null address and a positive size, got %lld bytes", size);
    return C_INVALID_ARGUMENT;
  }
  X4J_ARGS(PJRT_Client_DmaMap_Args, a);
  a.client = c->client;
  a.data = (void*)(intptr_t)address;
  a.size = (size_t)size;
  return x4j_take(c->api, c->api->PJRT_Client_DmaMap(&a), "PJRT_Client_DmaMap");
}

extern "C" int x4j_dma_unmap(x4j_client* c, long long address) {
  x4j_clear_error();
  if (!X4J_HAS(c->api, PJRT_Client_DmaUnmap)) {
    x4j_set_error(C_UNIMPLEMENTED, "PJRT_Client_DmaUnmap: the plugin does not have it");
    return C_UNIMPLEMENTED;
  }
  X4J_ARGS(PJRT_Client_DmaUnmap_Args, a);
  a.client = c->client;
  a.data = (void*)(intptr_t)address;
  return x4j_take(c->api, c->api->PJRT_Client_DmaUnmap(&a), "PJRT_Client_DmaUnmap");
}

extern "C" void* x4j_buffer_from_host_async(x4j_client* c, int device_index, long long address, int type,
                                            const long long* dims, int num_dims, void** done_event) {
  x4j_clear_error();
  *done_event = NULL;
  if (x4j_check_device(c, device_index)) return NULL;
  int64_t d64[64];
  if (num_dims < 0 || num_dims > 64) { x4j_set_error(C_INVALID_ARGUMENT, "rank %d not supported", num_dims); return NULL; }
  for (int i = 0; i < num_dims; i++) d64[i] = dims[i];
  X4J_ARGS(PJRT_Client_BufferFromHostBuffer_Args, a);
  a.client = c->client;
  a.data = (const void*)(intptr_t)address;
  a.type = type;
  a.dims = d64;
  a.num_dims = (size_t)num_dims;
  a.host_buffer_semantics = X4J_HOST_IMMUTABLE_UNTIL_TRANSFER_COMPLETES;
  a.device = c->devices[device_index];
  if (x4j_take(c->api, c->api->PJRT_Client_BufferFromHostBuffer(&a), "PJRT_Client_BufferFromHostBuffer")) return NULL;
  *done_event = a.done_with_host_buffer;
  return a.buffer;
}

extern "C" int x4j_event_await(x4j_client* c, void* event) {
  x4j_clear_error();
  return x4j_await(c->api, (PJRT_Event*)event, "host-to-device transfer");
}

/* The Shardings extension in the plugin's extension list, or NULL (older plugin, or one without it). */
static const X4J_Shardings_Extension* x4j_shardings_extension(const PJRT_Api* api) {
  for (const X4J_Extension_Base* e = (const X4J_Extension_Base*)api->extension_start; e != NULL; e = e->next) {
    if (e->extension_type == X4J_EXTENSION_TYPE_SHARDINGS) {
      const X4J_Shardings_Extension* s = (const X4J_Shardings_Extension*)e;
      if (s->base.struct_size >= X4J_SIZE_UPTO(X4J_Shardings_Extension, PJRT_Shardings_OutputShardings) &&
          s->PJRT_Shardings_OutputShardings != NULL) {
        return s;
      }
      return NULL;
    }
  }
  return NULL;
}

/*
 * The outputs' shardings (the Shardings extension's OutputShardings), encoded for Java: u32 count, then
 * per output a u32 length and that many bytes of a serialized xla.OpSharding. Little-endian; malloc'd
 * (free with x4j_free). NULL with code UNIMPLEMENTED when the plugin has no such extension or reports
 * no shardings.
 */
extern "C" char* x4j_executable_output_shardings(x4j_client* c, void* exe, long long* size) {
  x4j_clear_error();
  const PJRT_Api* api = c->api;
  *size = 0;
  const X4J_Shardings_Extension* ext = x4j_shardings_extension(api);
  if (ext == NULL) {
    x4j_set_error(C_UNIMPLEMENTED, "this PJRT plugin (C API %d.%d) has no Shardings extension (OutputShardings)",
                  api->pjrt_api_version.major_version, api->pjrt_api_version.minor_version);
    return NULL;
  }
  PJRT_Executable* e = x4j_get_executable(api, exe);
  if (e == NULL) return NULL;
  char* out = NULL;
  X4J_ARGS(PJRT_Shardings_OutputShardings_Args, a);
  a.executable = e;
  /* the protos belong to `e`: copy them before dropping it */
  if (x4j_take(api, ext->PJRT_Shardings_OutputShardings(&a), "PJRT_Shardings_PJRT_Executable_OutputShardings") == 0) {
    if (a.shardings == NULL || a.sharding_sizes == NULL) {
      x4j_set_error(C_UNIMPLEMENTED, "PJRT_Shardings_PJRT_Executable_OutputShardings: the plugin reports no shardings");
    } else {
      x4j_bytes b = {NULL, 0, 0};
      uint32_t count = (uint32_t)a.num_outputs;
      int ok = x4j_put(&b, &count, 4);
      for (size_t i = 0; ok && i < a.num_outputs; i++) {
        uint32_t len = (uint32_t)a.sharding_sizes[i];
        ok = x4j_put(&b, &len, 4) && x4j_put(&b, a.shardings[i], len);
      }
      if (ok) {
        out = b.p;
        *size = (long long)b.n;
      } else {
        free(b.p);
        x4j_set_error(C_INTERNAL, "output shardings: out of host memory");
      }
    }
  }
  x4j_drop_executable(api, e);
  return out;
}
