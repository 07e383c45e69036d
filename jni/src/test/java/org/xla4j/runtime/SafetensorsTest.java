package org.xla4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

class SafetensorsTest {
  @TempDir Path dir;

  @Test
  void roundTripsEveryDtypeInOrderWithMetadata() throws IOException {
    Map<String, HostTensor> in = new LinkedHashMap<>();
    float[] v = {0f, 1f, -1f, 2.5f, 100f, 7f};
    for (DType d : DType.values()) in.put("t_" + d.name().toLowerCase(), HostTensor.of(d, Shape.of(2, 3), v));
    in.put("scalar", HostTensor.scalar(4f));
    in.put("empty", HostTensor.zeros(TensorType.of(DType.F32, 0, 3)));
    Path f = dir.resolve("all.safetensors");
    Safetensors.write(f, in, Map.of("format", "pt"));

    Map<String, HostTensor> out = Safetensors.read(f);
    assertEquals(List.copyOf(in.keySet()), List.copyOf(out.keySet()));
    assertEquals(in, out);
    assertEquals(Map.of("format", "pt"), Safetensors.metadata(f));
    assertEquals(TensorType.of(DType.BF16, 2, 3), Safetensors.index(f).get("t_bf16"));
    assertEquals(in.get("t_u64"), Safetensors.read(f, "t_u64"));

    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
    long headerLen = b.getLong(0);
    assertEquals(0, (8 + headerLen) % 8, "data section is 8-byte aligned");
    String header = new String(Files.readAllBytes(f), 8, (int) headerLen, StandardCharsets.UTF_8);
    assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"t_pred\":{\"dtype\":\"BOOL\",\"shape\":[2,3],\"data_offsets\":[0,6]}"), header);
  }

  @Test
  void exactBytesOfASmallFile() throws IOException {
    Path f = dir.resolve("one.safetensors");
    Safetensors.write(f, Map.of("a", HostTensor.ofInts(new int[] {1, 2}, 2)));
    String json = "{\"a\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}"; // 54 bytes -> padded to 56
    byte[] all = Files.readAllBytes(f);
    assertEquals(8 + 56 + 8, all.length);
    assertEquals(56, ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong());
    assertEquals(json + "  ", new String(all, 8, 56, StandardCharsets.UTF_8));
    assertEquals(1, all[64]);
    assertEquals(2, all[68]);
  }

  @Test
  void missingNameListsTheAvailableOnes() throws IOException {
    Path f = dir.resolve("two.safetensors");
    Safetensors.write(f, Map.of("w1", HostTensor.scalar(1f)));
    var e = assertThrows(IllegalArgumentException.class, () -> Safetensors.read(f, "w2"));
    assertTrue(e.getMessage().contains("no tensor 'w2'") && e.getMessage().contains("[w1]"), e.getMessage());
  }

  @Test
  void malformedFilesGiveClearErrors() throws IOException {
    assertMalformed(new byte[] {1, 2, 3}, "shorter than the 8-byte header length");
    assertMalformed(file(1000, "{}", 0), "header length 1000 does not fit");
    assertMalformed(file(-1, "{}", 0), "does not fit");
    assertMalformed(file(0, "{not json", 0), "not valid JSON");
    assertMalformed(file(0, "[1,2]", 0), "not a JSON object");
    assertMalformed(file(0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "'a' data_offsets [0, 8] and 'b' data_offsets [4, 12] overlap");
    assertMalformed(file(0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4), "runs past the end of the data section");
    assertMalformed(file(0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "needs 12");
    assertMalformed(file(0, "{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor 'a' has unknown dtype \"Q4\"; known: [BOOL");
    assertMalformed(file(0, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "tensor 'a' has no \"data_offsets\"");
    assertMalformed(file(0, "{\"__metadata__\":{\"k\":1}}", 0), "not a string");
  }

  /** A file with the given header text; headerLen 0 means "the text's real length". */
  private static byte[] file(long headerLen, String json, int dataBytes) {
    byte[] text = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + text.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(headerLen == 0 ? text.length : headerLen).put(text);
    return b.array();
  }

  private void assertMalformed(byte[] content, String expected) throws IOException {
    Path f = Files.write(dir.resolve("bad.safetensors"), content);
    IOException e = assertThrows(IOException.class, () -> Safetensors.read(f));
    assertTrue(e.getMessage().contains("malformed safetensors file") && e.getMessage().contains(expected),
        "expected '" + expected + "' in: " + e.getMessage());
  }
}
