package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.X4jArtifact;
import org.xla4j.runtime.XlaException;
import org.xla4j.runtime.pjrt.PjrtBackend;
import org.xla4j.runtime.pjrt.PjrtCompileCache;
import org.xla4j.runtime.pjrt.PjrtExecutable;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * Compiled-program artifacts ({@code .x4j}), executable serialization, the compile cache and optimized
 * HLO. The layout tests run everywhere; the ones that need a plugin skip with the reason elsewhere.
 */
class PjrtArtifactTest {
  static final String SHARDED_TEXT = """
      module @m attributes {mhlo.num_partitions = 2 : i32} {
        func.func public @main(%arg0: tensor<4x8xf32> {mhlo.sharding = "{devices=[2,1]0,1}"}, %arg1: tensor<8xf32>) -> (tensor<4x8xf32> {mhlo.sharding = "{replicated}"}) {
          %0 = "stablehlo.broadcast_in_dim"(%arg1) <{broadcast_dimensions = array<i64: 1>}> : (tensor<8xf32>) -> tensor<4x8xf32>
          %1 = "stablehlo.add"(%arg0, %0) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
          "func.return"(%1) : (tensor<4x8xf32>) -> ()
        }
      }
      """;

  static X4jArtifact sample() {
    return new X4jArtifact(X4jArtifact.FORMAT_VERSION, "cuda", "cuda 13000", "0.115", "NVIDIA H100 80GB HBM3",
        X4jArtifact.sha256(SHARDED_TEXT),
        List.of(new X4jArtifact.Arg(TensorType.of(DType.F32, 4, 8), "mhlo.sharding = \"{devices=[2,1]0,1}\""),
            new X4jArtifact.Arg(TensorType.of(DType.BF16, 8), "")),
        List.of(new X4jArtifact.Arg(TensorType.scalar(DType.I64), "")),
        new byte[] {8, 1, 16, 2}, new byte[] {0, 1, 2, 3, 4, 5, (byte) 255}, 1, 2, "xla4j test");
  }

  @Test
  void flatBuffersLayoutRoundTrips(@TempDir Path tmp) throws Exception {
    X4jArtifact a = sample();
    Path f = tmp.resolve("prog.x4j");
    a.write(f);
    byte[] raw = Files.readAllBytes(f);
    assertEquals("X4J1", new String(raw, 4, 4, java.nio.charset.StandardCharsets.US_ASCII));
    X4jArtifact b = X4jArtifact.read(f);
    assertEquals(a.platformName(), b.platformName());
    assertEquals(a.platformVersion(), b.platformVersion());
    assertEquals(a.pluginApiVersion(), b.pluginApiVersion());
    assertEquals(a.deviceKind(), b.deviceKind());
    assertEquals(a.programHash(), b.programHash());
    assertEquals(a.args(), b.args());
    assertEquals(a.results(), b.results());
    assertArrayEquals(a.compileOptions(), b.compileOptions());
    assertArrayEquals(a.executable(), b.executable());
    assertEquals(1, b.numReplicas());
    assertEquals(2, b.numPartitions());
    assertEquals(a.signature(), b.signature());
  }

  @Test
  void notAnArtifactIsRefusedClearly(@TempDir Path tmp) throws Exception {
    Path f = tmp.resolve("bogus.x4j");
    Files.writeString(f, "module @m {}");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> X4jArtifact.read(f));
    assertTrue(e.getMessage().contains("not an xla4j compiled-program artifact"), e.getMessage());
    byte[] good = sample().toBytes();
    byte[] truncated = java.util.Arrays.copyOf(good, 24);
    assertThrows(IllegalArgumentException.class, () -> X4jArtifact.fromBytes(truncated));
  }

  @Test
  void hashIsSha256OfTheText() {
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", X4jArtifact.sha256(""));
  }

  // ---------------------------------------------------------------- with a plugin

  static final String AXPY = """
      module @axpy {
        func.func public @main(%arg0: tensor<f32>, %arg1: tensor<16xf32>, %arg2: tensor<16xf32>) -> tensor<16xf32> {
          %0 = "stablehlo.broadcast_in_dim"(%arg0) <{broadcast_dimensions = array<i64>}> : (tensor<f32>) -> tensor<16xf32>
          %1 = "stablehlo.multiply"(%0, %arg1) : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
          %2 = "stablehlo.add"(%1, %arg2) : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
          "func.return"(%2) : (tensor<16xf32>) -> ()
        }
      }
      """;

  static List<HostTensor> axpyArgs() {
    float[] x = new float[16];
    float[] y = new float[16];
    for (int i = 0; i < 16; i++) {
      x[i] = i;
      y[i] = 100 - i;
    }
    return List.of(HostTensor.scalar(3f), HostTensor.of(x, 16), HostTensor.of(y, 16));
  }

  static float[] axpyWant() {
    float[] w = new float[16];
    for (int i = 0; i < 16; i++) w[i] = 3f * i + (100 - i);
    return w;
  }

  @Test
  void serializedExecutablesLoadAndRun(@TempDir Path tmp) throws Exception {
    // only the backend-neutral API: what the CLI does
    Backend gpu = BackendUnderTest.pjrtOrSkip();
    try (Executable exe = ((PjrtBackend) gpu).compileUncached(AXPY, CompileOptions.defaults())) {
      byte[] bytes = exe.serialize();
      assertTrue(bytes.length > 0);
      X4jArtifact a = exe.toArtifact();
      assertTrue(a.executable().length > 0);
      // serialized bytes load back through the artifact's own layout, in memory
      try (Executable again = gpu.load(X4jArtifact.fromBytes(a.toBytes()))) {
        assertArrayEquals(axpyWant(), again.execute(axpyArgs()).get(0).toFloatArray());
      }
      Path f = tmp.resolve("axpy.x4j");
      a.write(f);
      System.out.println("[artifact] " + f.getFileName() + ": " + Files.size(f) + " bytes, " + a.platformName() + " "
          + a.platformVersion() + " API " + a.pluginApiVersion() + " on " + a.deviceKind() + ", hash " + a.programHash());
      try (Executable loaded = gpu.load(X4jArtifact.read(f))) {
        assertEquals(exe.signature(), loaded.signature());
        assertArrayEquals(axpyWant(), loaded.execute(axpyArgs()).get(0).toFloatArray());
      }
      // the same artifact claiming another plugin version is refused with both sides named
      X4jArtifact foreign = new X4jArtifact(a.formatVersion(), a.platformName(), a.platformVersion() + "-other",
          a.pluginApiVersion(), a.deviceKind(), a.programHash(), a.args(), a.results(), a.compileOptions(),
          a.executable(), a.numReplicas(), a.numPartitions(), a.producer());
      XlaException e = assertThrows(XlaException.class, () -> gpu.load(foreign));
      System.out.println("[artifact] mismatch: " + e.getMessage());
      assertTrue(e.getMessage().contains("-other") && e.getMessage().contains("compile it again"), e.getMessage());
    }
  }

  @Test
  void secondCompileIsACacheHit(@TempDir Path tmp) {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    PjrtCompileCache saved = gpu.compileCache();
    PjrtCompileCache cache = PjrtCompileCache.at(tmp.resolve("cache"));
    gpu.setCompileCache(cache);
    try {
      long t0 = System.nanoTime();
      try (PjrtExecutable first = gpu.compile(AXPY, CompileOptions.defaults())) {
        assertArrayEquals(axpyWant(), first.execute(axpyArgs()).get(0).toFloatArray());
      }
      long t1 = System.nanoTime();
      assertEquals(0, cache.hits());
      assertEquals(1, cache.misses());
      assertEquals(1, cache.stores());
      try (PjrtExecutable second = gpu.compile(AXPY, CompileOptions.defaults())) {
        assertArrayEquals(axpyWant(), second.execute(axpyArgs()).get(0).toFloatArray());
      }
      long t2 = System.nanoTime();
      assertEquals(1, cache.hits(), cache.toString());
      // other options are another key
      try (PjrtExecutable other = gpu.compile(AXPY, CompileOptions.builder().debugOptions(
          java.util.Map.of("xla_gpu_enable_fast_min_max", "true")).build())) {
        assertFalse(other.signature().args().isEmpty());
      }
      assertEquals(1, cache.hits());
      assertEquals(2, cache.misses());
      System.out.printf("[cache] %s; compile %.1f ms, cache hit %.1f ms%n", cache, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    } finally {
      gpu.setCompileCache(saved);
    }
  }

  @Test
  void optimizedProgramAndHloText() {
    PjrtBackend gpu = BackendUnderTest.pjrtOrSkip();
    try (PjrtExecutable exe = gpu.compileUncached(AXPY, CompileOptions.defaults())) {
      PjrtExecutable.OptimizedProgram p = exe.optimizedProgram();
      System.out.println("[hlo] optimized program: format '" + p.format() + "', " + p.code().length + " bytes");
      assertTrue(p.code().length > 0);
      String viaExecutable = exe.optimizedHlo().orElseThrow();
      assertTrue(viaExecutable.contains("ENTRY"), viaExecutable);
    }
    String text = gpu.optimizedHloText(AXPY, CompileOptions.defaults());
    System.out.println("[hlo] optimized HLO text: " + text.lines().count() + " lines; first: "
        + text.lines().findFirst().orElse(""));
    assertTrue(text.contains("HloModule"), text);
  }
}
