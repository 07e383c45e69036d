package org.xla4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.ir.OpException;
import org.xla4j.models.generate.SamplerInputs;
import org.xla4j.models.generate.Threefry;
import org.xla4j.models.generate.ThreefryHost;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Backends;
import org.xla4j.runtime.Executable;
import org.xla4j.runtime.HostTensor;
import org.xla4j.types.DType;

/**
 * Threefry-2x32-20 against Random123's published known-answer vectors (kat_vectors:
 * {@code threefry2x32 20 <ctr0 ctr1> <key0 key1> <out0 out1>}), on the host and on the CPU backend, and the
 * device's key derivation and bits equal to the plain-Java {@link ThreefryHost} bit for bit.
 */
class ThreefryTest {
  /** Rows of {key0, key1, ctr0, ctr1, out0, out1}. */
  private static final int[][] KAT = {
      {0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x6b200159, 0x99ba4efe},
      {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x1cb996fc, 0xbb002be7},
      {0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3, 0xc4923a9c, 0x483df7a0},
  };
  private static Backend cpu;

  @BeforeAll
  static void open() { cpu = Backends.open("cpu"); }

  @AfterAll
  static void close() { cpu.close(); }

  private static HostTensor u32(int[] words, long... dims) {
    byte[] le = new byte[4 * words.length];
    java.nio.ByteBuffer.wrap(le).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(words);
    return HostTensor.ofBytes(DType.U32, org.xla4j.types.Shape.of(dims), le);
  }

  private static List<HostTensor> run(Graph g, List<Tensor> outs, HostTensor... args) {
    try (Executable exe = cpu.compile(g.program(outs.toArray(Tensor[]::new)))) {
      return exe.execute(args);
    }
  }

  @Test
  void hostMatchesRandom123Kat() {
    for (int[] v : KAT) {
      assertArrayEquals(new int[] {v[4], v[5]}, ThreefryHost.hash(v[0], v[1], v[2], v[3]),
          () -> String.format("KAT key %08x %08x ctr %08x %08x", v[0], v[1], v[2], v[3]));
    }
  }

  @Test
  void deviceMatchesRandom123Kat() {
    Graph g = new Graph("threefry_kat");
    Tensor[] in = new Tensor[4];
    for (int i = 0; i < 4; i++) in[i] = g.parameter(DType.U32, KAT.length);
    Threefry.Words y = Threefry.hash(in[0], in[1], in[2], in[3]);
    HostTensor[] args = new HostTensor[4];
    for (int i = 0; i < 4; i++) {
      int[] col = new int[KAT.length];
      for (int r = 0; r < KAT.length; r++) col[r] = KAT[r][i];
      args[i] = u32(col, KAT.length);
    }
    List<HostTensor> out = run(g, List.of(y.w0(), y.w1()), args);
    assertEquals(DType.U32, out.get(0).dtype());
    for (int r = 0; r < KAT.length; r++) {
      assertEquals(KAT[r][4], out.get(0).toIntArray()[r], "KAT row " + r + " word 0");
      assertEquals(KAT[r][5], out.get(1).toIntArray()[r], "KAT row " + r + " word 1");
    }
  }

  /** Per-row keys [B, 2]: split, fold_in, bits and uniform equal the host version for every row. */
  @Test
  void keyDerivationAndBitsMatchHost() {
    int b = 5;
    int n = 300;
    long[] seeds = {0, 1, 42, 0xDEADBEEFL, -1L};
    int[] words = new int[2 * b];
    for (int i = 0; i < b; i++) {
      int[] k = ThreefryHost.seed(seeds[i]);
      words[2 * i] = k[0];
      words[2 * i + 1] = k[1];
    }
    Graph g = new Graph("threefry_keys");
    Tensor key = g.parameter(DType.U32, b, 2);
    Tensor s0 = Threefry.split(key, 0);
    Tensor s1 = Threefry.split(key, 1);
    Tensor f = Threefry.foldIn(key, 0xFFFFFFF0L);
    Tensor bits = Threefry.bits(key, n);
    Tensor u = Threefry.uniform(key, n);
    List<HostTensor> out = run(g, List.of(s0, s1, f, bits, u), SamplerInputs.keys(words, b));
    int[] gs0 = out.get(0).toIntArray();
    int[] gs1 = out.get(1).toIntArray();
    int[] gf = out.get(2).toIntArray();
    int[] gbits = out.get(3).toIntArray();
    float[] gu = out.get(4).toFloatArray();
    for (int i = 0; i < b; i++) {
      int[] k = {words[2 * i], words[2 * i + 1]};
      assertArrayEquals(ThreefryHost.split(k, 0), new int[] {gs0[2 * i], gs0[2 * i + 1]}, "split 0, row " + i);
      assertArrayEquals(ThreefryHost.split(k, 1), new int[] {gs1[2 * i], gs1[2 * i + 1]}, "split 1, row " + i);
      assertArrayEquals(ThreefryHost.foldIn(k, 0xFFFFFFF0), new int[] {gf[2 * i], gf[2 * i + 1]}, "fold_in, row " + i);
      for (int j = 0; j < n; j++) {
        int want = ThreefryHost.bits(k, j);
        assertEquals(want, gbits[i * n + j], "bits row " + i + " word " + j);
        assertEquals(ThreefryHost.uniform(want), gu[i * n + j], 0f, "uniform row " + i + " word " + j);
        assertTrue(gu[i * n + j] >= 0f && gu[i * n + j] < 1f, "uniform in [0, 1)");
      }
    }
    // the two halves of a split and the parent differ (a derivation that returned its input would pass the rest)
    assertTrue(gs0[0] != gs1[0] || gs0[1] != gs1[1]);
    assertTrue(gs0[0] != words[0] || gs0[1] != words[1]);
  }

  @Test
  void hostSeedIsJaxPrngKey() {
    assertArrayEquals(new int[] {0, 42}, ThreefryHost.seed(42));
    assertArrayEquals(new int[] {1, 2}, ThreefryHost.seed((1L << 32) | 2));
  }

  @Test
  void badKeyNamesTheOpAndType() {
    Graph g = new Graph("bad_key");
    Tensor key = g.parameter(DType.I32, 3, 2);
    OpException e = assertThrows(OpException.class, () -> Threefry.bits(key, 4));
    assertTrue(e.getMessage().contains("Threefry.bits") && e.getMessage().contains("ui32 [..., 2]")
        && e.getMessage().contains("i32"), e.getMessage());
  }
}
