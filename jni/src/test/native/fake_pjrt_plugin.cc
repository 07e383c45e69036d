/*
 * A test double of a PJRT plugin, for exercising the shim on a machine without one: one device, a
 * "compile" that returns a handle, and fixed plugin attributes, cost properties and compiled memory
 * stats, so the Java side can be checked value for value. Built by PjrtFakePluginTest with the
 * machine's g++ against our own ABI declarations (native/pjrt_abi.h). With -DX4J_FAKE_SHORT the
 * function table ends before PJRT_Executable_GetCompiledMemoryStats and leaves
 * PJRT_Plugin_Attributes / PJRT_Executable_GetCostAnalysis NULL and has no extensions: an older plugin.
 * The full one also has the Shardings extension (behind another extension) reporting one output sharding.
 * With -DX4J_FAKE_HLO="\012..." (a C string of octal escapes) it has PJRT_Executable_OptimizedProgram,
 * returning those bytes as format "hlo_with_config" (the test builds the proto and passes its bytes).
 */
#include "pjrt_abi.h"

#include <string.h>

static int g_client, g_device, g_description, g_loaded, g_executable; /* addresses used as handles */

static void error_destroy(PJRT_Error_Destroy_Args*) {}
static void error_message(PJRT_Error_Message_Args* a) { a->message = "fake"; a->message_size = 4; }
static PJRT_Error* error_get_code(PJRT_Error_GetCode_Args* a) { a->code = 2; return NULL; }
static PJRT_Error* plugin_initialize(PJRT_Plugin_Initialize_Args*) { return NULL; }

static const int64_t k_current[] = {1, 9, 3};
static const int64_t k_minimum[] = {0, 9, 0};
static PJRT_NamedValue g_attributes[3];

static PJRT_Error* plugin_attributes(PJRT_Plugin_Attributes_Args* a) {
  memset(g_attributes, 0, sizeof g_attributes);
  const char* names[] = {"xla_version", "stablehlo_current_version", "stablehlo_minimum_version"};
  for (int i = 0; i < 3; i++) {
    g_attributes[i].struct_size = X4J_SIZE_UPTO(PJRT_NamedValue, value_size);
    g_attributes[i].name = names[i];
    g_attributes[i].name_size = strlen(names[i]);
  }
  g_attributes[0].type = X4J_NV_INT64;
  g_attributes[0].v.int64_value = 2;
  g_attributes[0].value_size = 1;
  g_attributes[1].type = X4J_NV_INT64_LIST;
  g_attributes[1].v.int64_array_value = k_current;
  g_attributes[1].value_size = 3;
  g_attributes[2].type = X4J_NV_INT64_LIST;
  g_attributes[2].v.int64_array_value = k_minimum;
  g_attributes[2].value_size = 3;
  a->attributes = g_attributes;
  a->num_attributes = 3;
  return NULL;
}

static PJRT_Error* client_create(PJRT_Client_Create_Args* a) { a->client = (PJRT_Client*)&g_client; return NULL; }
static PJRT_Error* client_destroy(PJRT_Client_Destroy_Args*) { return NULL; }
static PJRT_Error* platform_name(PJRT_Client_PlatformName_Args* a) {
  a->platform_name = "fake";
  a->platform_name_size = 4;
  return NULL;
}
static PJRT_Error* platform_version(PJRT_Client_PlatformVersion_Args* a) {
  a->platform_version = "fake 1";
  a->platform_version_size = 6;
  return NULL;
}
static PJRT_Device* g_devices[1] = {(PJRT_Device*)&g_device};
static PJRT_Error* addressable_devices(PJRT_Client_AddressableDevices_Args* a) {
  a->addressable_devices = g_devices;
  a->num_addressable_devices = 1;
  return NULL;
}
static PJRT_Error* get_description(PJRT_Device_GetDescription_Args* a) {
  a->device_description = (PJRT_DeviceDescription*)&g_description;
  return NULL;
}
static PJRT_Error* description_id(PJRT_DeviceDescription_Id_Args* a) { a->id = 0; return NULL; }
static PJRT_Error* description_process(PJRT_DeviceDescription_ProcessIndex_Args* a) { a->process_index = 0; return NULL; }
static PJRT_Error* description_kind(PJRT_DeviceDescription_Kind_Args* a) {
  a->device_kind = "fake device";
  a->device_kind_size = 11;
  return NULL;
}
static PJRT_Error* compile(PJRT_Client_Compile_Args* a) {
  a->executable = (PJRT_LoadedExecutable*)&g_loaded;
  return NULL;
}
static PJRT_Error* loaded_destroy(PJRT_LoadedExecutable_Destroy_Args*) { return NULL; }
static PJRT_Error* get_executable(PJRT_LoadedExecutable_GetExecutable_Args* a) {
  a->executable = (PJRT_Executable*)&g_executable;
  return NULL;
}
static PJRT_Error* executable_destroy(PJRT_Executable_Destroy_Args*) { return NULL; }
static PJRT_Error* num_replicas(PJRT_Executable_NumReplicas_Args* a) { a->num_replicas = 1; return NULL; }
static PJRT_Error* num_partitions(PJRT_Executable_NumPartitions_Args* a) { a->num_partitions = 1; return NULL; }
static PJRT_Error* num_outputs(PJRT_Executable_NumOutputs_Args* a) { a->num_outputs = 1; return NULL; }
static PJRT_Error* loaded_devices(PJRT_LoadedExecutable_AddressableDevices_Args* a) {
  a->addressable_devices = g_devices;
  a->num_addressable_devices = 1;
  return NULL;
}

static PJRT_NamedValue g_costs[2];
static PJRT_Error* cost_analysis(PJRT_Executable_GetCostAnalysis_Args* a) {
  memset(g_costs, 0, sizeof g_costs);
  g_costs[0].name = "flops";
  g_costs[0].name_size = 5;
  g_costs[0].type = X4J_NV_FLOAT;
  g_costs[0].v.float_value = 32.0f;
  g_costs[0].value_size = 1;
  g_costs[1].name = "bytes accessed";
  g_costs[1].name_size = 14;
  g_costs[1].type = X4J_NV_FLOAT;
  g_costs[1].v.float_value = 196.0f;
  g_costs[1].value_size = 1;
  a->properties = g_costs;
  a->num_properties = 2;
  return NULL;
}
static PJRT_Error* memory_stats(PJRT_Executable_GetCompiledMemoryStats_Args* a) {
  a->generated_code_size_in_bytes = 1;
  a->argument_size_in_bytes = 132;
  a->output_size_in_bytes = 64;
  a->alias_size_in_bytes = 0;
  a->temp_size_in_bytes = 5;
  a->host_generated_code_size_in_bytes = 6;
  a->host_argument_size_in_bytes = 7;
  a->host_output_size_in_bytes = 8;
  a->host_alias_size_in_bytes = 9;
  a->host_temp_size_in_bytes = 10;
  a->peak_memory_in_bytes = 0; /* unreported */
  a->total_size_in_bytes = 202;
  return NULL;
}

/* one output sharded {devices=[1]0} as a serialized xla.OpSharding: type OTHER (field 1 = 3),
 * tile_assignment_dimensions [1] (field 3, packed), tile_assignment_devices [0] (field 4, packed) */
static const char k_sharding[] = {0x08, 0x03, 0x1a, 0x01, 0x01, 0x22, 0x01, 0x00};
static const char* const g_shardings[1] = {k_sharding};
static const size_t g_sharding_sizes[1] = {sizeof k_sharding};
static PJRT_Error* output_shardings(PJRT_Shardings_OutputShardings_Args* a) {
  a->num_outputs = 1;
  a->shardings = g_shardings;
  a->sharding_sizes = g_sharding_sizes;
  return NULL;
}
/* another extension first, so the shim must walk the list */
static X4J_Extension_Base g_other_extension = {sizeof(X4J_Extension_Base), 7, NULL};
static X4J_Shardings_Extension g_shardings_extension;

/* never called: the shim only checks that the table reaches this slot */
static PJRT_Error* to_host(PJRT_Buffer_ToHostBuffer_Args*) { return NULL; }

#ifdef X4J_FAKE_HLO
static const char k_hlo[] = X4J_FAKE_HLO;
static const char k_hlo_format[] = "hlo_with_config";

/* PJRT's two-call protocol: code == NULL asks for the size, then the caller's buffer is filled */
static PJRT_Error* optimized_program(PJRT_Executable_OptimizedProgram_Args* a) {
  PJRT_Program* p = a->program;
  p->format = k_hlo_format;
  p->format_size = sizeof k_hlo_format - 1;
  if (p->code != NULL) memcpy(p->code, k_hlo, sizeof k_hlo - 1);
  p->code_size = sizeof k_hlo - 1;
  return NULL;
}
#endif

static PJRT_Api g_api;

extern "C" __attribute__((visibility("default"))) const PJRT_Api* GetPjrtApi(void) {
  memset(&g_api, 0, sizeof g_api);
#ifdef X4J_FAKE_SHORT
  g_api.struct_size = X4J_SIZE_UPTO(PJRT_Api, PJRT_Buffer_ReadyEvent);
#else
  g_api.struct_size = sizeof g_api;
  g_api.PJRT_Plugin_Attributes = plugin_attributes;
  g_api.PJRT_Executable_GetCostAnalysis = cost_analysis;
  g_api.PJRT_Executable_GetCompiledMemoryStats = memory_stats;
  memset(&g_shardings_extension, 0, sizeof g_shardings_extension);
  g_shardings_extension.base.struct_size = sizeof g_shardings_extension;
  g_shardings_extension.base.extension_type = X4J_EXTENSION_TYPE_SHARDINGS;
  g_shardings_extension.PJRT_Shardings_OutputShardings = output_shardings;
  g_other_extension.next = &g_shardings_extension.base;
  g_api.extension_start = &g_other_extension;
#ifdef X4J_FAKE_HLO
  g_api.PJRT_Executable_OptimizedProgram = optimized_program;
#endif
#endif
  g_api.pjrt_api_version.major_version = 0;
  g_api.pjrt_api_version.minor_version = 94;
  g_api.PJRT_Error_Destroy = error_destroy;
  g_api.PJRT_Error_Message = error_message;
  g_api.PJRT_Error_GetCode = error_get_code;
  g_api.PJRT_Plugin_Initialize = plugin_initialize;
  g_api.PJRT_Client_Create = client_create;
  g_api.PJRT_Client_Destroy = client_destroy;
  g_api.PJRT_Client_PlatformName = platform_name;
  g_api.PJRT_Client_PlatformVersion = platform_version;
  g_api.PJRT_Client_AddressableDevices = addressable_devices;
  g_api.PJRT_Client_Compile = compile;
  g_api.PJRT_Device_GetDescription = get_description;
  g_api.PJRT_DeviceDescription_Id = description_id;
  g_api.PJRT_DeviceDescription_ProcessIndex = description_process;
  g_api.PJRT_DeviceDescription_Kind = description_kind;
  g_api.PJRT_Executable_Destroy = executable_destroy;
  g_api.PJRT_Executable_NumReplicas = num_replicas;
  g_api.PJRT_Executable_NumPartitions = num_partitions;
  g_api.PJRT_Executable_NumOutputs = num_outputs;
  g_api.PJRT_LoadedExecutable_Destroy = loaded_destroy;
  g_api.PJRT_LoadedExecutable_GetExecutable = get_executable;
  g_api.PJRT_LoadedExecutable_AddressableDevices = loaded_devices;
  g_api.PJRT_Buffer_ToHostBuffer = to_host;
  return &g_api;
}
