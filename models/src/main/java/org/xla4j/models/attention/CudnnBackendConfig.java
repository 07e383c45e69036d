package org.xla4j.models.attention;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.annotations.SerializedName;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.xla4j.types.DType;

/**
 * The {@code backend_config} JSON that XLA's cuDNN fused-attention rewriter reads on a
 * {@code __cudnn$fmha*} custom call: xla's {@code GpuBackendConfig} with a {@code CudnnfMHABackendConfig}
 * inside, in protobuf's JSON mapping (field names from xla's backend_configs.proto; int64 fields are JSON
 * strings). Typed records serialized by Gson in declaration order, so no field is spelled twice or
 * quoted by hand.
 *
 * <pre>{@code
 * String json = CudnnBackendConfig.forward(4, 32, 2048, 2048, DType.BF16, 0.088, true).toJson();
 * }</pre>
 */
record CudnnBackendConfig(
    @SerializedName("operation_queue_id") String operationQueueId,
    @SerializedName("wait_on_operation_queues") List<String> waitOnOperationQueues,
    @SerializedName("cudnn_fmha_backend_config") Fmha fmha) {

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  record Fmha(
      Algorithm algorithm,
      @SerializedName("fmha_scale") double fmhaScale,
      @SerializedName("dropout_rate") double dropoutRate,
      @SerializedName("intermediate_tensor_shape") ShapeProto intermediateTensorShape,
      long seed,
      @SerializedName("is_flash_attention") boolean isFlashAttention,
      @SerializedName("mask_type") String maskType,
      @SerializedName("sliding_window_length") int slidingWindowLength,
      @SerializedName("bmm1_dot_dimension_numbers") DotDims bmm1,
      @SerializedName("bmm2_dot_dimension_numbers") DotDims bmm2,
      @SerializedName("bmm1_grad_gemm1_dot_dimension_numbers") DotDims bmm1GradGemm1,
      @SerializedName("bmm1_grad_gemm2_dot_dimension_numbers") DotDims bmm1GradGemm2,
      @SerializedName("bmm2_grad_gemm1_dot_dimension_numbers") DotDims bmm2GradGemm1,
      @SerializedName("bmm2_grad_gemm2_dot_dimension_numbers") DotDims bmm2GradGemm2) {}

  record Algorithm(
      @SerializedName("algo_id") String algoId,
      @SerializedName("math_type") String mathType,
      @SerializedName("tuning_knobs") Map<String, String> tuningKnobs,
      @SerializedName("is_cudnn_frontend") boolean isCudnnFrontend,
      @SerializedName("workspace_size") String workspaceSize) {}

  record ShapeProto(
      @SerializedName("element_type") String elementType,
      List<String> dimensions,
      @SerializedName("tuple_shapes") List<ShapeProto> tupleShapes,
      Layout layout,
      @SerializedName("is_dynamic_dimension") List<Boolean> isDynamicDimension) {}

  record Layout(
      @SerializedName("dim_level_types") List<String> dimLevelTypes,
      @SerializedName("dim_unique") List<Boolean> dimUnique,
      @SerializedName("dim_ordered") List<Boolean> dimOrdered,
      @SerializedName("minor_to_major") List<String> minorToMajor,
      List<Object> tiles,
      @SerializedName("element_size_in_bits") String elementSizeInBits,
      @SerializedName("memory_space") String memorySpace,
      @SerializedName("index_primitive_type") String indexPrimitiveType,
      @SerializedName("pointer_primitive_type") String pointerPrimitiveType,
      @SerializedName("dynamic_shape_metadata_prefix_bytes") String dynamicShapeMetadataPrefixBytes) {}

  record DotDims(
      @SerializedName("lhs_contracting_dimensions") List<String> lhsContracting,
      @SerializedName("rhs_contracting_dimensions") List<String> rhsContracting,
      @SerializedName("lhs_batch_dimensions") List<String> lhsBatch,
      @SerializedName("rhs_batch_dimensions") List<String> rhsBatch) {}

  /**
   * The forward config JAX's cuDNN lowering emits for BTNH inputs (the same for inference and for the
   * training forward that also returns the softmax statistics): logits [B, H, Sq, Sk] in the inputs'
   * dtype, Q·Kᵀ contracting head_dim over batch and heads, P·V contracting Sk.
   */
  static CudnnBackendConfig forward(long b, long h, long sq, long sk, DType dt, double scale, boolean causal) {
    DotDims bmm1 = dims(3, 3, List.of("0", "2"), List.of("0", "2")); // BTNH, BSNH -> BNTS
    DotDims bmm2 = dims(3, 1, List.of("0", "1"), List.of("0", "2")); // BNTS, BSNH -> BNTH
    return of(b, h, sq, sk, dt, scale, causal, bmm1, bmm2, null, null, null, null);
  }

  /**
   * The backward config ({@code __cudnn$fmha…Backward}) for BTNH inputs: the same fields as {@link
   * #forward} with the four gradient GEMMs' dimension numbers in place of the two forward ones (dP·Q → dK,
   * dP·K → dQ, P·dO → dV, dO·Vᵀ → dP).
   */
  static CudnnBackendConfig backward(long b, long h, long sq, long sk, DType dt, double scale, boolean causal) {
    List<String> bn = List.of("0", "1");
    List<String> bs = List.of("0", "2");
    return of(b, h, sq, sk, dt, scale, causal, null, null,
        dims(2, 1, bn, bs), // BNTS, BTNH -> BSNH (dK)
        dims(3, 1, bn, bs), // BNTS, BSNH -> BTNH (dQ)
        dims(2, 1, bn, bs), // BNTS, BTNH -> BSNH (dV)
        dims(3, 3, bs, bs)); // BTNH, BSNH -> BNTS (dP)
  }

  private static DotDims dims(int lhsContracting, int rhsContracting, List<String> lhsBatch, List<String> rhsBatch) {
    return new DotDims(List.of(Integer.toString(lhsContracting)), List.of(Integer.toString(rhsContracting)), lhsBatch,
        rhsBatch);
  }

  // null dot-dimension fields are left out of the JSON (Gson skips nulls), as JAX writes only one direction's
  private static CudnnBackendConfig of(long b, long h, long sq, long sk, DType dt, double scale, boolean causal,
      DotDims bmm1, DotDims bmm2, DotDims g11, DotDims g12, DotDims g21, DotDims g22) {
    String unset = "PRIMITIVE_TYPE_INVALID";
    Layout rowMajor = new Layout(List.of(), List.of(), List.of(), List.of("3", "2", "1", "0"), List.of(), "0", "0",
        unset, unset, "0");
    ShapeProto logits = new ShapeProto(dt == DType.BF16 ? "BF16" : "F16",
        List.of(Long.toString(b), Long.toString(h), Long.toString(sq), Long.toString(sk)), List.of(), rowMajor,
        List.of(false, false, false, false));
    // sorted, so the text is the same on every run
    Map<String, String> knobs = Collections.unmodifiableMap(new TreeMap<>(Map.of("17", "1", "24", "0")));
    Algorithm algorithm = new Algorithm("0", "TENSOR_OP_MATH", knobs, true, "0");
    Fmha fmha = new Fmha(algorithm, scale, 0.0, logits, 42, true, causal ? "CAUSAL" : "NO_MASK", 0, bmm1, bmm2, g11,
        g12, g21, g22);
    return new CudnnBackendConfig("0", List.of(), fmha);
  }

  String toJson() { return GSON.toJson(this); }
}
