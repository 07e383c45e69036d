/*
 * xla4j: our own declarations of the part of the PJRT C API ABI that the shim uses.
 *
 * Facts (not code) taken from openxla/xla xla/pjrt/c/pjrt_c_api.h, major version 0:
 *  - every argument struct begins with `size_t struct_size; void* extension_start;` and the caller
 *    sets struct_size to the size of the struct as it knows it (up to and including its last field);
 *  - PJRT_Api is a table of function pointers that only ever grows at the end, so a field exists in
 *    a plugin's table when its offset + pointer size <= the table's struct_size;
 *  - every function returns PJRT_Error* (NULL = success), which the caller must destroy.
 * Only the fields we read or write are named; function-pointer slots we never call are kept as
 * `void*` placeholders so that offsets match the real table.
 */
#ifndef XLA4J_PJRT_ABI_H_
#define XLA4J_PJRT_ABI_H_

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define X4J_PJRT_API_MAJOR 0

/* Size of a struct as a caller that knows fields up to `last` sets it. */
#define X4J_SIZE_UPTO(type, last) (offsetof(type, last) + sizeof(((type*)0)->last))

typedef struct PJRT_Error PJRT_Error;
typedef struct PJRT_Event PJRT_Event;
typedef struct PJRT_Client PJRT_Client;
typedef struct PJRT_Device PJRT_Device;
typedef struct PJRT_Memory PJRT_Memory;
typedef struct PJRT_DeviceDescription PJRT_DeviceDescription;
typedef struct PJRT_Executable PJRT_Executable;
typedef struct PJRT_LoadedExecutable PJRT_LoadedExecutable;
typedef struct PJRT_Buffer PJRT_Buffer;

/* Argument-struct header shared by all. */
#define X4J_HDR size_t struct_size; void* extension_start

typedef struct { X4J_HDR; int major_version; int minor_version; } PJRT_Api_Version;

typedef struct { X4J_HDR; PJRT_Error* error; } PJRT_Error_Destroy_Args;
typedef struct { X4J_HDR; const PJRT_Error* error; const char* message; size_t message_size; } PJRT_Error_Message_Args;
typedef struct { X4J_HDR; const PJRT_Error* error; int code; } PJRT_Error_GetCode_Args;

/* PJRT_NamedValue_Type */
enum { X4J_NV_STRING = 0, X4J_NV_INT64 = 1, X4J_NV_INT64_LIST = 2, X4J_NV_FLOAT = 3, X4J_NV_BOOL = 4 };

typedef struct {
  X4J_HDR;
  const char* name;
  size_t name_size;
  int type;
  union {
    const char* string_value;
    int64_t int64_value;
    const int64_t* int64_array_value;
    float float_value;
    bool bool_value;
  } v;
  size_t value_size;
} PJRT_NamedValue;

typedef struct { X4J_HDR; } PJRT_Plugin_Initialize_Args;
/* out: an array that lives as long as the process */
typedef struct { X4J_HDR; const PJRT_NamedValue* attributes; size_t num_attributes; } PJRT_Plugin_Attributes_Args;

typedef struct { X4J_HDR; PJRT_Event* event; } PJRT_Event_Destroy_Args;
typedef struct { X4J_HDR; PJRT_Event* event; } PJRT_Event_Await_Args;

typedef struct {
  X4J_HDR;
  PJRT_NamedValue* create_options;
  size_t num_options;
  void* kv_get_callback;
  void* kv_get_user_arg;
  void* kv_put_callback;
  void* kv_put_user_arg;
  PJRT_Client* client; /* out */
} PJRT_Client_Create_Args;

typedef struct { X4J_HDR; PJRT_Client* client; } PJRT_Client_Destroy_Args;
typedef struct { X4J_HDR; PJRT_Client* client; const char* platform_name; size_t platform_name_size; } PJRT_Client_PlatformName_Args;
typedef struct { X4J_HDR; PJRT_Client* client; const char* platform_version; size_t platform_version_size; } PJRT_Client_PlatformVersion_Args;
typedef struct { X4J_HDR; PJRT_Client* client; PJRT_Device** addressable_devices; size_t num_addressable_devices; } PJRT_Client_AddressableDevices_Args;

typedef struct { X4J_HDR; char* code; size_t code_size; const char* format; size_t format_size; } PJRT_Program;

typedef struct {
  X4J_HDR;
  PJRT_Client* client;
  PJRT_Program* program;
  const char* compile_options;
  size_t compile_options_size;
  PJRT_LoadedExecutable* executable; /* out */
} PJRT_Client_Compile_Args;

/* PJRT_Buffer_Type values we map to (the enum is stable and only grows). */
enum {
  X4J_T_INVALID = 0, X4J_T_PRED = 1, X4J_T_S8 = 2, X4J_T_S16 = 3, X4J_T_S32 = 4, X4J_T_S64 = 5,
  X4J_T_U8 = 6, X4J_T_U16 = 7, X4J_T_U32 = 8, X4J_T_U64 = 9, X4J_T_F16 = 10, X4J_T_F32 = 11,
  X4J_T_F64 = 12, X4J_T_BF16 = 13
};

/* PJRT_HostBufferSemantics. 0: the runtime copies `data` before the call returns; 1: the caller keeps
 * `data` alive and unchanged until `done_with_host_buffer` fires (no extra host copy is required);
 * 2: zero copy (the buffer may alias `data` for its whole life). */
enum { X4J_HOST_IMMUTABLE_ONLY_DURING_CALL = 0, X4J_HOST_IMMUTABLE_UNTIL_TRANSFER_COMPLETES = 1,
       X4J_HOST_IMMUTABLE_ZERO_COPY = 2 };

typedef struct {
  X4J_HDR;
  PJRT_Client* client;
  const void* data;
  int type;
  const int64_t* dims;
  size_t num_dims;
  const int64_t* byte_strides;
  size_t num_byte_strides;
  int host_buffer_semantics;
  PJRT_Device* device;
  PJRT_Memory* memory;
  void* device_layout;
  PJRT_Event* done_with_host_buffer; /* out */
  PJRT_Buffer* buffer;               /* out */
} PJRT_Client_BufferFromHostBuffer_Args;

typedef struct { X4J_HDR; PJRT_DeviceDescription* device_description; int id; } PJRT_DeviceDescription_Id_Args;
typedef struct { X4J_HDR; PJRT_DeviceDescription* device_description; int process_index; } PJRT_DeviceDescription_ProcessIndex_Args;
typedef struct { X4J_HDR; PJRT_DeviceDescription* device_description; const char* device_kind; size_t device_kind_size; } PJRT_DeviceDescription_Kind_Args;
typedef struct { X4J_HDR; PJRT_Device* device; PJRT_DeviceDescription* device_description; } PJRT_Device_GetDescription_Args;

typedef struct {
  X4J_HDR;
  PJRT_Device* device;
  int64_t bytes_in_use;
  int64_t peak_bytes_in_use;
  bool peak_bytes_in_use_is_set;
  int64_t num_allocs;
  bool num_allocs_is_set;
  int64_t largest_alloc_size;
  bool largest_alloc_size_is_set;
  int64_t bytes_limit;
  bool bytes_limit_is_set;
} PJRT_Device_MemoryStats_Args; /* we declare (and size) it only up to bytes_limit_is_set */

typedef struct { X4J_HDR; PJRT_Executable* executable; } PJRT_Executable_Destroy_Args;
typedef struct { X4J_HDR; PJRT_Executable* executable; size_t num_outputs; } PJRT_Executable_NumOutputs_Args;
typedef struct { X4J_HDR; PJRT_LoadedExecutable* executable; } PJRT_LoadedExecutable_Destroy_Args;
typedef struct { X4J_HDR; PJRT_LoadedExecutable* loaded_executable; PJRT_Executable* executable; } PJRT_LoadedExecutable_GetExecutable_Args;

typedef struct {
  X4J_HDR;
  void** send_callbacks;
  void** recv_callbacks;
  size_t num_send_ops;
  size_t num_recv_ops;
  int launch_id;
  const int64_t* non_donatable_input_indices; /* inputs that must not be donated (others may be) */
  size_t num_non_donatable_input_indices;
  void* context;
} PJRT_ExecuteOptions;

typedef struct {
  X4J_HDR;
  PJRT_LoadedExecutable* executable;
  PJRT_ExecuteOptions* options;
  PJRT_Buffer* const* const* argument_lists;
  size_t num_devices;
  size_t num_args;
  PJRT_Buffer** const* output_lists;
  PJRT_Event** device_complete_events;
  PJRT_Device* execute_device;
} PJRT_LoadedExecutable_Execute_Args;

typedef struct { X4J_HDR; PJRT_Executable* executable; PJRT_Program* program; } PJRT_Executable_OptimizedProgram_Args;
/* out: properties owned by (and living as long as) `executable` */
typedef struct {
  X4J_HDR;
  PJRT_Executable* executable;
  size_t num_properties;
  const PJRT_NamedValue* properties;
} PJRT_Executable_GetCostAnalysis_Args;
/* Mirrors xla::CompiledMemoryStats: device default memory, then host memory; all out. The last two
 * fields came later than the rest: an older plugin leaves them zero (our spare room). */
typedef struct {
  X4J_HDR;
  PJRT_Executable* executable;
  int64_t generated_code_size_in_bytes;
  int64_t argument_size_in_bytes;
  int64_t output_size_in_bytes;
  int64_t alias_size_in_bytes;
  int64_t temp_size_in_bytes;
  int64_t host_generated_code_size_in_bytes;
  int64_t host_argument_size_in_bytes;
  int64_t host_output_size_in_bytes;
  int64_t host_alias_size_in_bytes;
  int64_t host_temp_size_in_bytes;
  int64_t peak_memory_in_bytes;
  int64_t total_size_in_bytes;
} PJRT_Executable_GetCompiledMemoryStats_Args;
typedef struct PJRT_SerializedExecutable PJRT_SerializedExecutable;
typedef struct {
  X4J_HDR;
  const PJRT_Executable* executable;
  const char* serialized_bytes;  /* out, lives as long as serialized_executable */
  size_t serialized_bytes_size;  /* out */
  PJRT_SerializedExecutable* serialized_executable; /* out */
  void (*serialized_executable_deleter)(PJRT_SerializedExecutable* exec); /* out */
} PJRT_Executable_Serialize_Args;
typedef struct {
  X4J_HDR;
  PJRT_Client* client;
  const char* serialized_executable;
  size_t serialized_executable_size;
  PJRT_LoadedExecutable* loaded_executable; /* out */
} PJRT_Executable_DeserializeAndLoad_Args;
typedef struct { X4J_HDR; PJRT_LoadedExecutable* executable; PJRT_Device** addressable_devices; size_t num_addressable_devices; } PJRT_LoadedExecutable_AddressableDevices_Args;
typedef struct { X4J_HDR; PJRT_Executable* executable; size_t num_replicas; } PJRT_Executable_NumReplicas_Args;
typedef struct { X4J_HDR; PJRT_Executable* executable; size_t num_partitions; } PJRT_Executable_NumPartitions_Args;
typedef struct { X4J_HDR; PJRT_Buffer* buffer; bool is_deleted; } PJRT_Buffer_IsDeleted_Args;
typedef struct { X4J_HDR; PJRT_Buffer* buffer; PJRT_Event* event; } PJRT_Buffer_ReadyEvent_Args;

typedef struct { X4J_HDR; PJRT_Buffer* buffer; } PJRT_Buffer_Destroy_Args;
typedef struct { X4J_HDR; PJRT_Buffer* buffer; int type; } PJRT_Buffer_ElementType_Args;
typedef struct { X4J_HDR; PJRT_Buffer* buffer; const int64_t* dims; size_t num_dims; } PJRT_Buffer_Dimensions_Args;
typedef struct { X4J_HDR; PJRT_Buffer* buffer; size_t on_device_size_in_bytes; } PJRT_Buffer_OnDeviceSizeInBytes_Args;
typedef struct { X4J_HDR; PJRT_Buffer* src; void* host_layout; void* dst; size_t dst_size; PJRT_Event* event; } PJRT_Buffer_ToHostBuffer_Args;

/* Registers / unregisters host memory for direct DMA (the GPU plugin pins it). */
typedef struct { X4J_HDR; PJRT_Client* client; void* data; size_t size; } PJRT_Client_DmaMap_Args;
typedef struct { X4J_HDR; PJRT_Client* client; void* data; } PJRT_Client_DmaUnmap_Args;

typedef PJRT_Error* (*x4j_fn)(void* args);

/*
 * The function table. Slot order is the ABI; names of slots we call are spelled out, the rest are
 * placeholders. Slots are listed up to the last one we use.
 */
typedef struct {
  size_t struct_size;
  void* extension_start;
  PJRT_Api_Version pjrt_api_version;

  void (*PJRT_Error_Destroy)(PJRT_Error_Destroy_Args*);
  void (*PJRT_Error_Message)(PJRT_Error_Message_Args*);
  PJRT_Error* (*PJRT_Error_GetCode)(PJRT_Error_GetCode_Args*);

  PJRT_Error* (*PJRT_Plugin_Initialize)(PJRT_Plugin_Initialize_Args*);
  PJRT_Error* (*PJRT_Plugin_Attributes)(PJRT_Plugin_Attributes_Args*);

  PJRT_Error* (*PJRT_Event_Destroy)(PJRT_Event_Destroy_Args*);
  void* PJRT_Event_IsReady;
  void* PJRT_Event_Error;
  PJRT_Error* (*PJRT_Event_Await)(PJRT_Event_Await_Args*);
  void* PJRT_Event_OnReady;

  PJRT_Error* (*PJRT_Client_Create)(PJRT_Client_Create_Args*);
  PJRT_Error* (*PJRT_Client_Destroy)(PJRT_Client_Destroy_Args*);
  PJRT_Error* (*PJRT_Client_PlatformName)(PJRT_Client_PlatformName_Args*);
  void* PJRT_Client_ProcessIndex;
  PJRT_Error* (*PJRT_Client_PlatformVersion)(PJRT_Client_PlatformVersion_Args*);
  void* PJRT_Client_Devices;
  PJRT_Error* (*PJRT_Client_AddressableDevices)(PJRT_Client_AddressableDevices_Args*);
  void* PJRT_Client_LookupDevice;
  void* PJRT_Client_LookupAddressableDevice;
  void* PJRT_Client_AddressableMemories;
  PJRT_Error* (*PJRT_Client_Compile)(PJRT_Client_Compile_Args*);
  void* PJRT_Client_DefaultDeviceAssignment;
  PJRT_Error* (*PJRT_Client_BufferFromHostBuffer)(PJRT_Client_BufferFromHostBuffer_Args*);

  PJRT_Error* (*PJRT_DeviceDescription_Id)(PJRT_DeviceDescription_Id_Args*);
  PJRT_Error* (*PJRT_DeviceDescription_ProcessIndex)(PJRT_DeviceDescription_ProcessIndex_Args*);
  void* PJRT_DeviceDescription_Attributes;
  PJRT_Error* (*PJRT_DeviceDescription_Kind)(PJRT_DeviceDescription_Kind_Args*);
  void* PJRT_DeviceDescription_DebugString;
  void* PJRT_DeviceDescription_ToString;

  PJRT_Error* (*PJRT_Device_GetDescription)(PJRT_Device_GetDescription_Args*);
  void* PJRT_Device_IsAddressable;
  void* PJRT_Device_LocalHardwareId;
  void* PJRT_Device_AddressableMemories;
  void* PJRT_Device_DefaultMemory;
  PJRT_Error* (*PJRT_Device_MemoryStats)(PJRT_Device_MemoryStats_Args*);

  void* PJRT_Memory_Id;
  void* PJRT_Memory_Kind;
  void* PJRT_Memory_DebugString;
  void* PJRT_Memory_ToString;
  void* PJRT_Memory_AddressableByDevices;

  PJRT_Error* (*PJRT_Executable_Destroy)(PJRT_Executable_Destroy_Args*);
  void* PJRT_Executable_Name;
  PJRT_Error* (*PJRT_Executable_NumReplicas)(PJRT_Executable_NumReplicas_Args*);
  PJRT_Error* (*PJRT_Executable_NumPartitions)(PJRT_Executable_NumPartitions_Args*);
  PJRT_Error* (*PJRT_Executable_NumOutputs)(PJRT_Executable_NumOutputs_Args*);
  void* PJRT_Executable_SizeOfGeneratedCodeInBytes;
  PJRT_Error* (*PJRT_Executable_GetCostAnalysis)(PJRT_Executable_GetCostAnalysis_Args*);
  void* PJRT_Executable_OutputMemoryKinds;
  PJRT_Error* (*PJRT_Executable_OptimizedProgram)(PJRT_Executable_OptimizedProgram_Args*);
  PJRT_Error* (*PJRT_Executable_Serialize)(PJRT_Executable_Serialize_Args*);

  PJRT_Error* (*PJRT_LoadedExecutable_Destroy)(PJRT_LoadedExecutable_Destroy_Args*);
  PJRT_Error* (*PJRT_LoadedExecutable_GetExecutable)(PJRT_LoadedExecutable_GetExecutable_Args*);
  PJRT_Error* (*PJRT_LoadedExecutable_AddressableDevices)(PJRT_LoadedExecutable_AddressableDevices_Args*);
  void* PJRT_LoadedExecutable_Delete;
  void* PJRT_LoadedExecutable_IsDeleted;
  PJRT_Error* (*PJRT_LoadedExecutable_Execute)(PJRT_LoadedExecutable_Execute_Args*);
  PJRT_Error* (*PJRT_Executable_DeserializeAndLoad)(PJRT_Executable_DeserializeAndLoad_Args*);
  void* PJRT_LoadedExecutable_Fingerprint;

  PJRT_Error* (*PJRT_Buffer_Destroy)(PJRT_Buffer_Destroy_Args*);
  PJRT_Error* (*PJRT_Buffer_ElementType)(PJRT_Buffer_ElementType_Args*);
  PJRT_Error* (*PJRT_Buffer_Dimensions)(PJRT_Buffer_Dimensions_Args*);
  void* PJRT_Buffer_UnpaddedDimensions;
  void* PJRT_Buffer_DynamicDimensionIndices;
  void* PJRT_Buffer_GetMemoryLayout;
  PJRT_Error* (*PJRT_Buffer_OnDeviceSizeInBytes)(PJRT_Buffer_OnDeviceSizeInBytes_Args*);
  void* PJRT_Buffer_Device;
  void* PJRT_Buffer_Memory;
  void* PJRT_Buffer_Delete;
  PJRT_Error* (*PJRT_Buffer_IsDeleted)(PJRT_Buffer_IsDeleted_Args*);
  void* PJRT_Buffer_CopyToDevice;
  PJRT_Error* (*PJRT_Buffer_ToHostBuffer)(PJRT_Buffer_ToHostBuffer_Args*);
  void* PJRT_Buffer_IsOnCpu;
  PJRT_Error* (*PJRT_Buffer_ReadyEvent)(PJRT_Buffer_ReadyEvent_Args*);
  void* PJRT_Buffer_UnsafePointer;
  void* PJRT_Buffer_IncreaseExternalReferenceCount;
  void* PJRT_Buffer_DecreaseExternalReferenceCount;
  void* PJRT_Buffer_OpaqueDeviceMemoryDataPointer;

  void* PJRT_CopyToDeviceStream_Destroy;
  void* PJRT_CopyToDeviceStream_AddChunk;
  void* PJRT_CopyToDeviceStream_TotalBytes;
  void* PJRT_CopyToDeviceStream_GranuleSize;
  void* PJRT_CopyToDeviceStream_CurrentBytes;

  void* PJRT_TopologyDescription_Create;
  void* PJRT_TopologyDescription_Destroy;
  void* PJRT_TopologyDescription_PlatformName;
  void* PJRT_TopologyDescription_PlatformVersion;
  void* PJRT_TopologyDescription_GetDeviceDescriptions;
  void* PJRT_TopologyDescription_Serialize;
  void* PJRT_TopologyDescription_Attributes;

  void* PJRT_Compile;

  /* from here on, slots were appended in later minor versions: check X4J_HAS before calling */
  void* PJRT_Executable_OutputElementTypes;
  void* PJRT_Executable_OutputDimensions;
  void* PJRT_Buffer_CopyToMemory;
  void* PJRT_Client_CreateViewOfDeviceBuffer;
  void* PJRT_Executable_Fingerprint;
  void* PJRT_Client_TopologyDescription;
  PJRT_Error* (*PJRT_Executable_GetCompiledMemoryStats)(PJRT_Executable_GetCompiledMemoryStats_Args*);
  void* PJRT_Memory_Kind_Id;
  void* PJRT_ExecuteContext_Create;
  void* PJRT_ExecuteContext_Destroy;
  void* PJRT_Buffer_CopyRawToHost;
  void* PJRT_AsyncHostToDeviceTransferManager_Destroy;
  void* PJRT_AsyncHostToDeviceTransferManager_TransferData;
  void* PJRT_Client_CreateBuffersForAsyncHostToDevice;
  void* PJRT_AsyncHostToDeviceTransferManager_RetrieveBuffer;
  void* PJRT_AsyncHostToDeviceTransferManager_Device;
  void* PJRT_AsyncHostToDeviceTransferManager_BufferCount;
  void* PJRT_AsyncHostToDeviceTransferManager_BufferSize;
  void* PJRT_AsyncHostToDeviceTransferManager_SetBufferError;
  void* PJRT_AsyncHostToDeviceTransferManager_AddMetadata;
  PJRT_Error* (*PJRT_Client_DmaMap)(PJRT_Client_DmaMap_Args*);
  PJRT_Error* (*PJRT_Client_DmaUnmap)(PJRT_Client_DmaUnmap_Args*);
} PJRT_Api;

/*
 * Extensions: PJRT_Api.extension_start heads a singly linked list; each entry begins with this base
 * and is identified by its type (an enum value that upstream only ever appends to).
 */
typedef struct X4J_Extension_Base {
  size_t struct_size;
  int extension_type;
  struct X4J_Extension_Base* next;
} X4J_Extension_Base;

/* PJRT_Extension_Type_Shardings (C API 0.91): parameter and output shardings of an executable. */
#define X4J_EXTENSION_TYPE_SHARDINGS 19

/* Outputs' shardings as serialized xla.OpSharding protos; the arrays (and shardings / sharding_sizes
 * themselves, NULL when the plugin does not report shardings) belong to `executable`. */
typedef struct {
  X4J_HDR;
  PJRT_Executable* executable;
  size_t num_outputs;
  const char* const* shardings;
  const size_t* sharding_sizes;
} PJRT_Shardings_OutputShardings_Args;

typedef struct {
  X4J_Extension_Base base;
  void* PJRT_Shardings_ParameterShardings;
  PJRT_Error* (*PJRT_Shardings_OutputShardings)(PJRT_Shardings_OutputShardings_Args*);
} X4J_Shardings_Extension;

typedef const PJRT_Api* (*x4j_GetPjrtApi_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* XLA4J_PJRT_ABI_H_ */
