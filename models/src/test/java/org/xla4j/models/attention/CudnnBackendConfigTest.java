package org.xla4j.models.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.types.DType;

/**
 * The cuDNN backend_config built from typed records: every field XLA reads, compared as JSON (not as
 * text) against the config the hand-concatenated string produced before (which ran on the H100 and
 * H200 at JAX's cuDNN speed), and field by field for the values that vary.
 */
class CudnnBackendConfigTest {
  /** What the earlier string builder wrote (scale as %.17g) for b=4, h=32, sq=sk=2048, bf16, scale 1/sqrt(128), causal. */
  private static final String BEFORE = "{\"operation_queue_id\":\"0\",\"wait_on_operation_queues\":[],"
      + "\"cudnn_fmha_backend_config\":{\"algorithm\":{\"algo_id\":\"0\",\"math_type\":\"TENSOR_OP_MATH\","
      + "\"tuning_knobs\":{\"17\":\"1\",\"24\":\"0\"},\"is_cudnn_frontend\":true,\"workspace_size\":\"0\"},"
      + "\"fmha_scale\":0.088388347648318433,\"dropout_rate\":0.0,"
      + "\"intermediate_tensor_shape\":{\"element_type\":\"BF16\",\"dimensions\":[\"4\",\"32\",\"2048\",\"2048\"],"
      + "\"tuple_shapes\":[],\"layout\":{\"dim_level_types\":[],\"dim_unique\":[],\"dim_ordered\":[],"
      + "\"minor_to_major\":[\"3\",\"2\",\"1\",\"0\"],\"tiles\":[],\"element_size_in_bits\":\"0\",\"memory_space\":\"0\","
      + "\"index_primitive_type\":\"PRIMITIVE_TYPE_INVALID\",\"pointer_primitive_type\":\"PRIMITIVE_TYPE_INVALID\","
      + "\"dynamic_shape_metadata_prefix_bytes\":\"0\"},\"is_dynamic_dimension\":[false,false,false,false]},"
      + "\"seed\":42,\"is_flash_attention\":true,\"mask_type\":\"CAUSAL\",\"sliding_window_length\":0,"
      + "\"bmm1_dot_dimension_numbers\":{\"lhs_contracting_dimensions\":[\"3\"],\"rhs_contracting_dimensions\":[\"3\"],"
      + "\"lhs_batch_dimensions\":[\"0\",\"2\"],\"rhs_batch_dimensions\":[\"0\",\"2\"]},"
      + "\"bmm2_dot_dimension_numbers\":{\"lhs_contracting_dimensions\":[\"3\"],\"rhs_contracting_dimensions\":[\"1\"],"
      + "\"lhs_batch_dimensions\":[\"0\",\"1\"],\"rhs_batch_dimensions\":[\"0\",\"2\"]}}}";

  @Test
  void sameJsonAsTheConfigThatRanOnTheGpu() {
    String json = CudnnBackendConfig.forward(4, 32, 2048, 2048, DType.BF16, 1 / Math.sqrt(128), true).toJson();
    assertEquals(JsonParser.parseString(BEFORE), JsonParser.parseString(json));
  }

  @Test
  void fieldsFollowTheProblem() {
    JsonObject root = JsonParser.parseString(
        CudnnBackendConfig.forward(2, 8, 128, 256, DType.F16, 0.125, false).toJson()).getAsJsonObject();
    JsonObject f = root.getAsJsonObject("cudnn_fmha_backend_config");
    assertEquals("NO_MASK", f.get("mask_type").getAsString());
    assertEquals(0.125, f.get("fmha_scale").getAsDouble());
    JsonObject shape = f.getAsJsonObject("intermediate_tensor_shape");
    assertEquals("F16", shape.get("element_type").getAsString());
    assertEquals(List.of("2", "8", "128", "256"), strings(shape.getAsJsonArray("dimensions")));
    assertEquals(List.of("3"), strings(f.getAsJsonObject("bmm2_dot_dimension_numbers")
        .getAsJsonArray("lhs_contracting_dimensions")));
    assertEquals("0", root.get("operation_queue_id").getAsString());
    // int64 proto fields are JSON strings, booleans and the seed are not
    assertEquals(true, f.get("is_flash_attention").getAsBoolean());
    assertEquals(42, f.get("seed").getAsLong());
  }

  private static List<String> strings(JsonArray a) {
    return a.asList().stream().map(e -> e.getAsString()).toList();
  }
}
