package org.xla4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/** Streaming safetensors writes: readable by the reader, tensors in announced order and size only. */
class SafetensorsStreamTest {
  @TempDir
  Path tmp;

  @Test
  void writesAFileTheReaderReads() throws Exception {
    Map<String, TensorType> plan = new LinkedHashMap<>();
    plan.put("a", TensorType.of(DType.I8, 2, 3));
    plan.put("b", TensorType.of(DType.F32, 2));
    Path f = tmp.resolve("s.safetensors");
    try (SafetensorsStream s = SafetensorsStream.create(f, plan)) {
      s.write("a", MemorySegment.ofArray(new byte[] {1, 2, 3, -4, -5, -6}));
      s.write("b", HostTensor.of(new float[] {1.5f, -2f}, 2).segment());
    }
    Map<String, HostTensor> back = Safetensors.read(f);
    assertEquals(plan.keySet(), back.keySet());
    assertArrayEquals(new byte[] {1, 2, 3, -4, -5, -6}, back.get("a").bytes());
    assertEquals(plan.get("a"), back.get("a").type());
    assertArrayEquals(new float[] {1.5f, -2f}, back.get("b").toFloatArray());
  }

  @Test
  void refusesTensorsOutOfOrderOfTheWrongSizeOrMissing() throws Exception {
    Map<String, TensorType> plan = new LinkedHashMap<>();
    plan.put("a", TensorType.of(DType.I8, 4));
    plan.put("b", TensorType.of(DType.I8, 4));
    SafetensorsStream s = SafetensorsStream.create(tmp.resolve("x.safetensors"), plan);
    String order = assertThrows(IllegalStateException.class, () -> s.write("b", MemorySegment.ofArray(new byte[4]))).getMessage();
    assertTrue(order.contains("expected tensor 'a', got 'b'"), order);
    String size = assertThrows(IllegalStateException.class, () -> s.write("a", MemorySegment.ofArray(new byte[3]))).getMessage();
    assertTrue(size.contains("tensor 'a' tensor<4xi8> has 4 bytes, got 3"), size);
    s.write("a", MemorySegment.ofArray(new byte[4]));
    String missing = assertThrows(IllegalStateException.class, s::close).getMessage();
    assertTrue(missing.contains("closed before tensors [b] were written"), missing);
  }
}
