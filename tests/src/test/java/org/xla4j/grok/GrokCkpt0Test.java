package org.xla4j.grok;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.checkpoint.CheckpointException;
import org.xla4j.checkpoint.CheckpointTensor;
import org.xla4j.cli.Main;
import org.xla4j.dsl.Graph;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.models.checkpoint.GrokCkpt0;
import org.xla4j.models.checkpoint.LoadProgress;
import org.xla4j.models.checkpoint.ModelDir;
import org.xla4j.models.checkpoint.ModelType;
import org.xla4j.models.grok.Grok1;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.grok.WeightFormat;
import org.xla4j.models.moe.MoeOptions;
import org.xla4j.models.quant.QuantMode;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.testsupport.StdStreams;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * Grok-1's original {@code ckpt-0} layout, from the fixture of {@code scripts/make_grok_ckpt0.py} (Python's
 * pickle and numpy; a tiny Grok-1 with int8 QuantizedWeight8bit matrices): loaded through {@link ModelDir} into
 * the model tree, every leaf checked against the tree's flatten order, the logits against the numpy oracle of
 * {@code scripts/grok_reference.py} at the tolerances of {@link Grok1ReferenceTest} (bf16 logits: 0.3 absolute
 * + 2% relative, rms below 0.05); and each checkpoint error on a damaged copy.
 */
class GrokCkpt0Test {
  static final Path DIR = GrokHarness.FIXTURE.resolve("ckpt0");
  static Backend cpu;

  @TempDir Path tmp;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  static Grok1Config tinyInt8() { return Grok1Config.tiny().withWeightFormat(WeightFormat.INT8); }

  @Test
  void loadsIntoTheModelTreeInFlattenOrder() throws IOException {
    try (ModelDir d = ModelDir.open(DIR)) {
      assertEquals(ModelType.GROK1, d.type());
      Grok1Config c = d.grok1Config();
      assertEquals(WeightFormat.INT8, c.weightFormat(), "from the QuantizedWeight8bit leaves");
      assertEquals(tinyInt8().ffnSize(), c.ffnSize());
      Tree<TensorType> want = tinyInt8().parameterTypes();
      Tree<CheckpointTensor> got = d.parameters();
      assertEquals(want.size(), got.size());
      List<Tree.Leaf<TensorType>> w = want.entries();
      List<Tree.Leaf<CheckpointTensor>> g = got.entries();
      for (int i = 0; i < w.size(); i++) {
        assertEquals(w.get(i).path(), g.get(i).path(), "leaf " + i);
        assertEquals(w.get(i).value().dtype(), g.get(i).value().type().dtype(), w.get(i).path());
        assertEquals(w.get(i).value().shape(), g.get(i).value().type().shape(), w.get(i).path());
        assertTrue(g.get(i).value().isDirect(), w.get(i).path() + " is a view of its pickle file");
      }
      assertEquals(26, d.reader().files().size());
      // the file order the script wrote (Python's sorted dicts) is the order GrokCkpt0 expects
      String leaves = Safetensors.metadata(GrokHarness.FIXTURE.resolve("grok_ckpt0_io.safetensors")).get("leaves");
      List<String> written = new ArrayList<>();
      JsonParser.parseString(leaves).getAsJsonArray().forEach(e -> written.add(e.getAsString()));
      assertEquals(written, GrokCkpt0.leaves(c).stream().map(GrokCkpt0.Leaf::path).toList());
    }
  }

  @Test
  void logitsMatchNumpy() throws IOException {
    HostTensor tokens = io("tokens");
    float[] expected = io("logits").toFloatArray();
    float[] actual = logits(DIR, tokens, true);
    boolean[] seen = Grok1ReferenceTest.attended(tokens, Grok1Config.tiny().vocabSize());
    double rms = rms(expected, actual, seen);
    System.out.printf("grok ckpt-0 tiny int8: max |diff| %.4f, rms diff %.4f over attended positions%n",
        GrokHarness.maxDiff(expected, actual, seen), rms);
    GrokHarness.assertClose("logits", expected, actual, seen, Grok1ReferenceTest.ABS, Grok1ReferenceTest.REL);
    assertTrue(rms < Grok1ReferenceTest.RMS, "rms difference " + rms);
  }

  /**
   * The comparison can fail: with the two layers' files swapped (same shapes, so the checkpoint still opens)
   * the logits are another model's.
   */
  @Test
  void swappedLayersAreAnotherModel() throws IOException {
    Path d = copy();
    for (int j = 0; j < 12; j++) {
      Path a = d.resolve(String.format("ckpt-0/tensor%05d_000", 2 + j));
      Path b = d.resolve(String.format("ckpt-0/tensor%05d_000", 14 + j));
      Path t = d.resolve("swap");
      Files.move(a, t);
      Files.move(b, a);
      Files.move(t, b);
    }
    HostTensor tokens = io("tokens");
    boolean[] seen = Grok1ReferenceTest.attended(tokens, Grok1Config.tiny().vocabSize());
    double max = GrokHarness.maxDiff(io("logits").toFloatArray(), logits(d, tokens, false), seen);
    System.out.printf("grok ckpt-0 tiny with its layers swapped: max |diff| %.4f%n", max);
    assertTrue(max > 4 * Grok1ReferenceTest.ABS, "max diff " + max);
  }

  private static HostTensor io(String name) throws IOException {
    return Safetensors.read(GrokHarness.FIXTURE.resolve("grok_ckpt0_io.safetensors"), name);
  }

  /** The model's f32 logits for {@code tokens} with the weights of {@code dir}, read from the mapped files. */
  private static float[] logits(Path dir, HostTensor tokens, boolean alsoUpload) {
    try (ModelDir d = ModelDir.open(dir)) {
      Grok1Config c = d.grok1Config();
      Graph g = new Graph("grok_ckpt0");
      Grok1.Output out = Grok1.build(g, c, tokens.shape().dim(0), tokens.shape().dim(1),
          new Grok1.Options(MoeOptions.defaults(), Mechanism.VANILLA, QuantMode.DEQUANTIZE));
      Tree<CheckpointTensor> params = d.parameters();
      List<HostTensor> args = new ArrayList<>(ModelDir.read(params, LoadProgress.NONE).leaves());
      args.add(tokens);
      List<HostTensor> r = GrokHarness.run(cpu, g, args, out.logits(), out.dropped());
      assertEquals(0, r.get(1).toIntArray()[0], "dropped copies");
      if (alsoUpload) {
        // the upload path reads the same files: every buffer has its leaf's type
        Tree<DeviceBuffer> up = ModelDir.upload(params, cpu, cpu.devices().get(0), LoadProgress.NONE);
        try {
          for (Tree.Leaf<DeviceBuffer> l : up) assertEquals(params.get(l.path()).type(), l.value().type(), l.path());
        } finally {
          up.leaves().forEach(DeviceBuffer::close);
        }
      }
      return r.get(0).toFloatArray();
    }
  }

  /** Python's sorted dict keys (the script's metadata) against GrokCkpt0's order, for 12 layers. */
  @Test
  void twelveLayerOrderMatchesPythonsSortedKeys() throws IOException {
    String leaves = Safetensors.metadata(GrokHarness.FIXTURE.resolve("grok_ckpt0_io.safetensors")).get("leaves_12_layers");
    List<String> python = new ArrayList<>();
    JsonParser.parseString(leaves).getAsJsonArray().forEach(e -> python.add(e.getAsString()));
    Grok1Config c = tinyInt8().toBuilder().numLayers(12).build();
    assertEquals(python, GrokCkpt0.leaves(c).stream().map(GrokCkpt0.Leaf::path).toList());
    assertEquals("transformer/decoder_layer_10/moe/linear/w", python.get(2 + 2 * 12));
  }

  /** JAX's flatten order for Grok-1 itself: the facts of xai-org/grok-1 written out, not recomputed. */
  @Test
  void fullGrokOrderIsLexicographicByModule() {
    List<GrokCkpt0.Leaf> l = GrokCkpt0.leaves(Grok1Config.full().withWeightFormat(WeightFormat.INT8));
    assertEquals(770, l.size());
    assertEquals("language_model/in_out_embed/embeddings", l.get(0).path());
    assertEquals("language_model/rms_norm/scale", l.get(1).path());
    String[] perLayer = {"moe/linear/w", "moe/linear_1/w", "moe/linear_v/w", "multi_head_attention/key/w",
        "multi_head_attention/linear/w", "multi_head_attention/query/w", "multi_head_attention/value/w", "rms_norm/scale",
        "rms_norm_1/scale", "rms_norm_2/scale", "rms_norm_3/scale", "router/w"};
    int[] layers = {0, 1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 2, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 3, 30, 31, 32,
        33, 34, 35, 36, 37, 38, 39, 4, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 5, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 6,
        60, 61, 62, 63, 7, 8, 9};
    for (int k = 0; k < 64; k++) {
      for (int j = 0; j < 12; j++) {
        GrokCkpt0.Leaf leaf = l.get(2 + 12 * k + j);
        assertEquals("transformer/decoder_layer_" + layers[k] + "/" + perLayer[j], leaf.path());
        assertEquals(j < 7, leaf.quantized(), leaf.path());
        assertEquals(String.format("tensor%05d_000", 2 + 12 * k + j), leaf.file());
      }
    }
  }

  @Test
  void modelInfoListsTheCkpt0Leaves() {
    String s = StdStreams.out(() -> assertEquals(0, Main.run("model", "info", DIR.toString())));
    assertTrue(s.contains("GROK1") && s.contains("26 file(s)") && s.contains("tensor00002_000.weight")
        && s.contains("transformer/decoder_layer_0/moe/linear/scales") && s.contains(tinyInt8().parameterTypes().size()
        + " parameters"), s);
  }

  // ---------------------------------------------------------------- errors, each on a damaged copy

  private Path copy() throws IOException {
    Path to = tmp.resolve("model");
    Files.createDirectories(to.resolve("ckpt-0"));
    Files.copy(DIR.resolve("config.json"), to.resolve("config.json"));
    try (Stream<Path> s = Files.list(DIR.resolve("ckpt-0"))) {
      for (Path p : s.toList()) Files.copy(p, to.resolve("ckpt-0").resolve(p.getFileName()));
    }
    return to;
  }

  private static String failure(Path dir) {
    return assertThrows(CheckpointException.class, () -> ModelDir.open(dir).close()).getMessage();
  }

  private static void assertHas(String message, String... parts) {
    for (String p : parts) assertTrue(message.contains(p), "'" + p + "' in: " + message);
  }

  @Test
  void missingFileNamesItsPathAndType() throws IOException {
    Path d = copy();
    Files.delete(d.resolve("ckpt-0/tensor00005_000"));
    assertHas(failure(d), "missing", "tensor00005_000", "transformer/decoder_layer_0/multi_head_attention/key/w",
        "QuantizedWeight8bit(weight tensor<64x32xi8>, scales tensor<1x32xbf16>)");
  }

  @Test
  void emptyCkpt0() throws IOException {
    Path d = tmp.resolve("empty");
    Files.createDirectories(d.resolve("ckpt-0"));
    assertHas(failure(d), "holds no tensorNNNNN_000 files", "770", "tensor00769_000");
  }

  @Test
  void moreFilesThanTheConfigsTree() throws IOException {
    Path d = copy();
    Files.copy(d.resolve("ckpt-0/tensor00025_000"), d.resolve("ckpt-0/tensor00026_000"));
    assertHas(failure(d), "holds 27 tensor files", "has 26 leaves", "tensor00026_000", "config.json");
  }

  @Test
  void configWithMoreLayersMissesFiles() throws IOException {
    Path d = copy();
    Files.writeString(d.resolve("config.json"), Files.readString(d.resolve("config.json"))
        .replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"));
    assertHas(failure(d), "missing", "tensor00026_000", "transformer/decoder_layer_2/");
  }

  @Test
  void wrongShapeNamesFilePathAndBothTypes() throws IOException {
    Path d = copy();
    Files.copy(d.resolve("ckpt-0/tensor00000_000"), d.resolve("ckpt-0/tensor00001_000"), StandardCopyOption.REPLACE_EXISTING);
    assertHas(failure(d), "wrong type", "tensor00001_000", "numpy array tensor<128x64xf32>", "language_model/rms_norm/scale", "expects tensor<64xf32>");
  }

  @Test
  void wrongDtypeNamesFilePathAndBothTypes() throws IOException {
    Path d = copy();
    Path f = d.resolve("ckpt-0/tensor00001_000");
    byte[] b = Files.readAllBytes(f);
    // the dtype code 'f4' (SHORT_BINUNICODE of 2 bytes) becomes 'i4': the same pickle of an int32 array
    int at = indexOf(b, new byte[] {(byte) 0x8c, 2, 'f', '4'});
    assertTrue(at > 0);
    b[at + 2] = 'i';
    Files.write(f, b);
    assertHas(failure(d), "wrong type", "tensor00001_000", "numpy array tensor<64xi32>", "language_model/rms_norm/scale", "expects tensor<64xf32>");
  }

  @Test
  void quantizedWhereAnArrayBelongs() throws IOException {
    Path d = copy();
    Files.copy(d.resolve("ckpt-0/tensor00002_000"), d.resolve("ckpt-0/tensor00001_000"), StandardCopyOption.REPLACE_EXISTING);
    assertHas(failure(d), "wrong type", "tensor00001_000", "QuantizedWeight8bit(weight tensor<4x64x88xi8>",
        "language_model/rms_norm/scale", "expects a numpy array tensor<64xf32>");
  }

  @Test
  void wrongScalesShape() throws IOException {
    Path d = copy();
    // tensor00003_000 is moe/linear_1 (scales [4, 8, 64]); tensor00004_000 is moe/linear_v (scales [4, 1, 88])
    Files.copy(d.resolve("ckpt-0/tensor00003_000"), d.resolve("ckpt-0/tensor00004_000"), StandardCopyOption.REPLACE_EXISTING);
    assertHas(failure(d), "tensor00004_000", "QuantizedWeight8bit.scales tensor<4x8x64xbf16>",
        "transformer/decoder_layer_0/moe/linear_v/scales expects tensor<4x1x88xbf16>",
        "QuantizedWeight8bit.weight tensor<4x88x64xi8>, path transformer/decoder_layer_0/moe/linear_v/w expects tensor<4x64x88xi8>");
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  static double rms(float[] a, float[] b, boolean[] include) {
    double s = 0;
    int n = 0;
    for (int i = 0; i < a.length; i++) {
      if (include[i]) {
        s += (a[i] - b[i]) * (double) (a[i] - b[i]);
        n++;
      }
    }
    return Math.sqrt(s / n);
  }
}
