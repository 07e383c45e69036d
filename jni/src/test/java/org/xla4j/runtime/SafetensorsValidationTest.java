package org.xla4j.runtime;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 item 8: every malformed header is refused, by the static helpers and by the reader alike,
 * with a message naming the file, the tensor and the problem. (Before: [4.5] read as [4], bytes after
 * the last tensor and holes were accepted, a missing data_offsets became a NullPointerException text.)
 */
class SafetensorsValidationTest {
  @TempDir Path dir;

  private static String entry(String name, String dtype, String shape, String offsets) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape
        + (offsets == null ? "" : ",\"data_offsets\":" + offsets) + "}";
  }

  @Test
  void fractionalShapeEntry() throws IOException {
    refused("{" + entry("w", "F32", "[4.5]", "[0,16]") + "}", 16, "tensor 'w'", "shape [4.5] entry 4.5 is not a non-negative integer");
    refused("{" + entry("w", "F32", "[4.0]", "[0,16]") + "}", 16, "tensor 'w'", "entry 4.0 is not a non-negative integer");
    refused("{" + entry("w", "F32", "[4e0]", "[0,16]") + "}", 16, "tensor 'w'", "is not a non-negative integer");
  }

  @Test
  void negativeOrNonNumericShapeEntry() throws IOException {
    refused("{" + entry("w", "F32", "[-1]", "[0,0]") + "}", 0, "tensor 'w'", "entry -1 is not a non-negative integer");
    refused("{" + entry("w", "F32", "[\"4\"]", "[0,16]") + "}", 16, "tensor 'w'", "is not a non-negative integer");
    refused("{" + entry("w", "F32", "4", "[0,16]") + "}", 16, "tensor 'w'", "shape 4 is not a JSON array");
    refused("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "tensor 'w'", "has no \"shape\"");
  }

  @Test
  void bytesAfterTheLastTensor() throws IOException {
    refused("{" + entry("w", "F32", "[2]", "[0,8]") + "}", 9, "'w'", "1 bytes after the end of the last tensor");
    refused("{}", 4, "bad.safetensors", "4 bytes after the end of the last tensor (the header names no tensor)");
  }

  @Test
  void holesBetweenTensorsAndBeforeTheFirst() throws IOException {
    refused("{" + entry("a", "F32", "[1]", "[0,4]") + "," + entry("b", "F32", "[1]", "[8,12]") + "}", 12,
        "tensor 'b' data_offsets [8, 12]", "leaves a hole of 4 bytes after tensor 'a' data_offsets [0, 4]");
    refused("{" + entry("a", "F32", "[1]", "[4,8]") + "}", 8, "tensor 'a'", "hole of 4 bytes at the start of the data section");
  }

  @Test
  void overlappingRanges() throws IOException {
    refused("{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[1]", "[4,8]") + "}", 8,
        "tensors 'a' data_offsets [0, 8] and 'b' data_offsets [4, 8]", "overlap");
  }

  @Test
  void missingOrMalformedDataOffsets() throws IOException {
    refused("{" + entry("w", "F32", "[1]", null) + "}", 4, "tensor 'w'", "has no \"data_offsets\" (expected [begin, end])");
    refused("{" + entry("w", "F32", "[1]", "[0]") + "}", 4, "tensor 'w'", "data_offsets [0] is not a [begin, end] pair");
    refused("{" + entry("w", "F32", "[1]", "\"0,4\"") + "}", 4, "tensor 'w'", "is not a [begin, end] pair");
    refused("{" + entry("w", "F32", "[1]", "[0,4.5]") + "}", 4, "tensor 'w'", "end is not a non-negative integer");
    refused("{" + entry("w", "F32", "[1]", "[-4,0]") + "}", 4, "tensor 'w'", "begin is not a non-negative integer");
    refused("{" + entry("w", "F32", "[0]", "[4,0]") + "}", 4, "tensor 'w'", "end before begin");
  }

  @Test
  void byteSizeNotDtypeTimesShape() throws IOException {
    refused("{" + entry("w", "BF16", "[2,3]", "[0,8]") + "}", 8, "tensor 'w'", "span 8 bytes, but BF16[2, 3] needs 12 (6 x 2)");
  }

  @Test
  void unknownDtype() throws IOException {
    refused("{" + entry("w", "F8_E4M3", "[2]", "[0,2]") + "}", 2, "tensor 'w'", "unknown dtype \"F8_E4M3\"; known: [");
    refused("{\"w\":{\"shape\":[2],\"data_offsets\":[0,2]}}", 2, "tensor 'w'", "has no \"dtype\"");
  }

  @Test
  void headerLargerThanTheFile() throws IOException {
    byte[] text = "{}".getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + text.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(4096).put(text);
    refused(b.array(), "bad.safetensors", "header length 4096 does not fit a 10-byte file");
  }

  @Test
  void wellFormedEdgeCasesAreAccepted() throws IOException {
    // zero-size tensors anywhere, a scalar, unsorted entries: all legal
    Path f = write("{" + entry("b", "F32", "[1]", "[4,8]") + "," + entry("z", "F32", "[0,3]", "[4,4]") + ","
        + entry("a", "I32", "[]", "[0,4]") + "}", 8);
    assertDoesNotThrow(() -> SafetensorsReader.open(f).close());
  }

  private Path write(String json, int dataBytes) throws IOException {
    byte[] text = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + text.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(text.length).put(text);
    return Files.write(dir.resolve("bad.safetensors"), b.array());
  }

  private void refused(String json, int dataBytes, String... expected) throws IOException {
    Path f = write(json, dataBytes);
    check(f, expected);
  }

  private void refused(byte[] content, String... expected) throws IOException {
    check(Files.write(dir.resolve("bad.safetensors"), content), expected);
  }

  private static void check(Path f, String... expected) {
    for (var call : java.util.List.<org.junit.jupiter.api.function.Executable>of(
        () -> Safetensors.read(f), () -> Safetensors.index(f), () -> SafetensorsReader.open(f))) {
      IOException e = assertThrows(IOException.class, call);
      assertTrue(e.getMessage().startsWith("malformed safetensors file " + f + ": "), e.getMessage());
      for (String s : expected) assertTrue(e.getMessage().contains(s), "expected '" + s + "' in: " + e.getMessage());
    }
  }
}
