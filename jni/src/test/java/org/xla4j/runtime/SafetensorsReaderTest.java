package org.xla4j.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

class SafetensorsReaderTest {
  @TempDir Path dir;

  private Path shardedCheckpoint() throws IOException {
    Safetensors.write(dir.resolve("model-00001-of-00002.safetensors"), Map.of(
        "model.embed.weight", HostTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2)));
    Map<String, HostTensor> two = new LinkedHashMap<>();
    two.put("model.layers.0.mlp.weight", HostTensor.ofInts(new int[] {7, 8}, 2));
    two.put("lm_head/weight", HostTensor.of(new float[] {9}, 1, 1));
    Safetensors.write(dir.resolve("model-00002-of-00002.safetensors"), two);
    Files.writeString(dir.resolve(SafetensorsReader.INDEX), """
        {"metadata": {"total_size": 36},
         "weight_map": {"model.embed.weight": "model-00001-of-00002.safetensors",
                        "model.layers.0.mlp.weight": "model-00002-of-00002.safetensors",
                        "lm_head/weight": "model-00002-of-00002.safetensors"}}""");
    return dir;
  }

  @Test
  void listsAShardedCheckpointFromItsDirectoryWithoutReadingData() throws IOException {
    try (SafetensorsReader r = SafetensorsReader.open(shardedCheckpoint())) {
      assertEquals(List.of("model.embed.weight", "model.layers.0.mlp.weight", "lm_head/weight"), r.names());
      assertEquals(2, r.files().size());
      TensorInfo mlp = r.info("model.layers.0.mlp.weight");
      assertEquals(TensorType.of(DType.I32, 2), mlp.type());
      assertEquals("model-00002-of-00002.safetensors", mlp.file().getFileName().toString());
      assertEquals(8, mlp.byteSize());
      // the byte range is the file's: reading it directly gives the tensor
      byte[] all = Files.readAllBytes(mlp.file());
      assertEquals(7, ByteBuffer.wrap(all, (int) mlp.offset(), 8).order(ByteOrder.LITTLE_ENDIAN).getInt());
      assertEquals(Map.of("total_size", "36"), r.metadata());
      assertArrayEquals(new int[] {7, 8}, r.read("model.layers.0.mlp.weight").toIntArray());
      assertEquals(9f, r.read("lm_head/weight").getFloat(0, 0));
      var e = assertThrows(IllegalArgumentException.class, () -> r.info("model.embed.wieght"));
      assertTrue(e.getMessage().contains("has no tensor 'model.embed.wieght'"), e.getMessage());
    }
  }

  @Test
  void viewsAreSlicesOfTheMappingNotCopies() throws IOException {
    Path f = dir.resolve("one.safetensors");
    Safetensors.write(f, Map.of("a", HostTensor.ofInts(new int[] {1, 2}, 2), "b", HostTensor.of(new float[] {3, 4, 5}, 3)));
    SafetensorsReader r = SafetensorsReader.open(f);
    TensorInfo b = r.info("b");
    MemorySegment file = r.fileSegment(f);
    HostTensor view = r.read("b");
    assertTrue(view.isNative());
    assertEquals(file.address() + b.offset(), view.segment().address(), "the view points into the mapping");
    assertTrue(view.segment().isReadOnly());
    assertArrayEquals(new float[] {3, 4, 5}, view.toFloatArray());
    HostTensor copy = r.copy("b");
    assertFalse(copy.isNative());
    assertEquals(copy, view);
    r.close();
    r.close(); // idempotent
    assertThrows(IllegalStateException.class, view::toFloatArray, "a view of a closed reader throws, it does not crash");
    assertThrows(IllegalStateException.class, () -> r.segment("a"));
    assertArrayEquals(new float[] {3, 4, 5}, copy.toFloatArray(), "a copy outlives the reader");
  }

  @Test
  void tensorsAbove2GiBAreMappedNotRefused() throws IOException {
    long n = (3L << 30) + 5; // u8 elements: 3 GiB + 5 bytes, a sparse file
    String json = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + n + "],\"data_offsets\":[0," + n + "]}}";
    byte[] text = json.getBytes(StandardCharsets.UTF_8);
    Path f = dir.resolve("big.safetensors");
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(text.length);
      raf.write(head.array());
      raf.write(text);
      raf.setLength(8 + text.length + n);
      raf.seek(8 + text.length + n - 1);
      raf.write(42);
    }
    try (SafetensorsReader r = SafetensorsReader.open(f)) {
      HostTensor big = r.read("big");
      assertEquals(n, big.segment().byteSize());
      assertEquals(42, big.segment().get(ValueLayout.JAVA_BYTE, n - 1));
      assertEquals(42f, big.getFloat(n - 1));
      assertEquals(0f, big.getFloat(0));
      var e = assertThrows(IllegalArgumentException.class, big::bytes);
      assertTrue(e.getMessage().contains("at most 2 GiB"), e.getMessage());
    }
  }

  @Test
  void writesATreeNamedByPathsOrMappedNames() throws IOException {
    Tree<HostTensor> params = Tree.<HostTensor>builder()
        .put("decoder/layer_1/w", HostTensor.of(new float[] {1, 2}, 2))
        .put("decoder/layer_0/w", HostTensor.of(new float[] {3}, 1))
        .build();
    Path byPath = dir.resolve("tree.safetensors");
    Safetensors.write(byPath, params);
    try (SafetensorsReader r = SafetensorsReader.open(byPath)) {
      assertEquals(params.paths(), r.names(), "names are the paths, in flatten order");
      assertEquals(params.get("decoder/layer_1/w"), r.read("decoder/layer_1/w"));
    }
    Path mapped = dir.resolve("mapped.safetensors");
    Safetensors.write(mapped, params, p -> p.replace('/', '.'), Map.of("format", "pt"));
    assertEquals(List.of("decoder.layer_0.w", "decoder.layer_1.w"), List.copyOf(Safetensors.index(mapped).keySet()));
    var e = assertThrows(IllegalArgumentException.class, () -> Safetensors.write(mapped, params, p -> "same", Map.of()));
    assertTrue(e.getMessage().contains("both map to tensor name 'same'"), e.getMessage());
  }

  @Test
  void aViewIsWrittenBackAsIs() throws IOException {
    Path src = dir.resolve("src.safetensors");
    Safetensors.write(src, Map.of("x", HostTensor.of(new float[] {1, 2, 3}, 3)));
    Path dst = dir.resolve("dst.safetensors");
    try (SafetensorsReader r = SafetensorsReader.open(src)) {
      Safetensors.write(dst, Tree.<HostTensor>builder().put("y", r.read("x")).build());
    }
    assertArrayEquals(new float[] {1, 2, 3}, Safetensors.read(dst, "y").toFloatArray());
  }

  @Test
  void indexAndShardsMustAgree() throws IOException {
    shardedCheckpoint();
    Path index = dir.resolve(SafetensorsReader.INDEX);
    String good = Files.readString(index);

    Files.writeString(index, good.replace("\"lm_head/weight\": \"model-00002-of-00002.safetensors\"", "\"lm_head/weight\": \"model-00001-of-00002.safetensors\""));
    var e = assertThrows(IOException.class, () -> SafetensorsReader.open(dir));
    assertTrue(e.getMessage().contains("malformed safetensors index") && e.getMessage().contains("'lm_head/weight'"), e.getMessage());

    Files.writeString(index, good.replace("model-00001-of-00002.safetensors", "gone.safetensors"));
    e = assertThrows(IOException.class, () -> SafetensorsReader.open(index));
    assertTrue(e.getMessage().contains("gone.safetensors") && e.getMessage().contains("does not exist"), e.getMessage());

    Files.writeString(index, "{\"metadata\": {}}");
    e = assertThrows(IOException.class, () -> SafetensorsReader.open(index));
    assertTrue(e.getMessage().contains("no \"weight_map\""), e.getMessage());

    Files.delete(index);
    e = assertThrows(IOException.class, () -> SafetensorsReader.open(dir));
    assertTrue(e.getMessage().contains("2 .safetensors files"), e.getMessage());
  }

  @Test
  void copyOnWriteMappingReadsTheSameAndStaysReadOnly() throws IOException {
    Path f = dir.resolve("cow.safetensors");
    Safetensors.write(f, Map.of("x", HostTensor.of(new float[] {1, 2, 3}, 3)));
    try (SafetensorsReader r = SafetensorsReader.open(f, java.nio.channels.FileChannel.MapMode.PRIVATE)) {
      assertArrayEquals(new float[] {1, 2, 3}, r.read("x").toFloatArray());
      assertTrue(r.segment("x").isReadOnly());
      assertTrue(r.fileSegment(f).isReadOnly());
    }
    assertThrows(IllegalArgumentException.class, () -> SafetensorsReader.open(f, java.nio.channels.FileChannel.MapMode.READ_WRITE));
  }
}
