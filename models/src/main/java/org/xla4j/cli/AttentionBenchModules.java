package org.xla4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.xla4j.dsl.Graph;
import org.xla4j.dsl.Tensor;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.models.attention.Attention;
import org.xla4j.models.attention.AttentionOptions;
import org.xla4j.models.attention.Mechanism;
import org.xla4j.types.DType;

/**
 * Writes the modules of the GPU attention benchmark: bf16 causal GQA attention in BTNH layout at the
 * shapes of DESIGN.md's reference figures, one file per mechanism and shape, named
 * {@code MECH__B{b}_S{s}_H{hq}_K{hkv}_D{d}.mlir} as scripts/attention_gpu_bench.py expects.
 */
final class AttentionBenchModules {
  /** batch, seq, q heads, kv heads, head dim, blockwise query/key chunk (0: the automatic choice). */
  record Case(int b, int s, int hq, int hkv, int d, int qChunk, int kChunk) {}

  static final List<Case> CASES = List.of(
      new Case(4, 2048, 32, 8, 128, 0, 0),
      new Case(4, 8192, 32, 8, 128, 0, 0),
      new Case(1, 16384, 32, 8, 128, 0, 0));

  private AttentionBenchModules() {}

  /** Extra BLOCKWISE chunk sizes tried at the long sequences, to pick chunk sizes per shape. */
  static final List<int[]> SWEEP = List.of(new int[] {1024, 1024}, new int[] {2048, 2048}, new int[] {4096, 2048},
      new int[] {2048, 4096}, new int[] {4096, 4096}, new int[] {1024, 4096});

  static void write(Path dir, boolean sweep) {
    try {
      Files.createDirectories(dir);
      for (Case c : CASES) {
        for (Mechanism m : List.of(Mechanism.VANILLA, Mechanism.BLOCKWISE, Mechanism.CUDNN)) {
          save(dir, m.name(), c, module(c, m));
        }
        if (sweep) {
          for (int[] qk : SWEEP) {
            Case cc = new Case(c.b(), c.s(), c.hq(), c.hkv(), c.d(), qk[0], qk[1]);
            save(dir, "BLOCKWISE_Q" + qk[0] + "_K" + qk[1], c, module(cc, Mechanism.BLOCKWISE));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void save(Path dir, String label, Case c, String text) throws IOException {
    Path f = dir.resolve(label + "__B" + c.b() + "_S" + c.s() + "_H" + c.hq() + "_K" + c.hkv() + "_D" + c.d() + ".mlir");
    Files.writeString(f, text);
    System.out.println("wrote " + f);
  }

  static String module(Case c, Mechanism m) {
    Graph g = new Graph("attention_" + m.name().toLowerCase(java.util.Locale.ROOT));
    Tensor q = g.parameter(DType.BF16, c.b(), c.s(), c.hq(), c.d());
    Tensor k = g.parameter(DType.BF16, c.b(), c.s(), c.hkv(), c.d());
    Tensor v = g.parameter(DType.BF16, c.b(), c.s(), c.hkv(), c.d());
    AttentionOptions opts = AttentionOptions.builder().mechanism(m).causal(true).numHeads(c.hq()).numKvHeads(c.hkv())
        .chunks(c.qChunk(), c.kChunk()).platform("cuda").build();
    return StableHloPrinter.print(g.build(Attention.apply(opts, q, k, v)), EmitOptions.unsharded());
  }
}
