package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.runtime.SafetensorsReader;
import org.xla4j.runtime.TensorInfo;
import org.xla4j.types.DType;

/** {@code xla4j bench upload --make-checkpoint ... --checkpoint ...} end to end on the CPU backend. */
class BenchUploadCheckpointTest {
  @TempDir Path dir;

  private static String capture(java.util.concurrent.Callable<Integer> r) throws Exception {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, r.call());
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void writesAValidShardedCheckpointAndTimesItsUpload() throws Exception {
    Path ckpt = dir.resolve("ckpt");
    String out = capture(() -> Main.run("bench", "upload", "--make-checkpoint", ckpt.toString(), "--bytes", "3000000",
        "--tensors", "6", "--shards", "2", "--checkpoint", ckpt.toString(), "--path", "DMA"));
    try (SafetensorsReader r = SafetensorsReader.open(ckpt)) { // validates every header and the index
      assertEquals(2, r.files().size());
      List<TensorInfo> ts = r.tensors();
      assertEquals(0, ts.size() % 3, "whole layers");
      long h = ts.get(0).type().shape().dim(0);
      long total = 0;
      for (int i = 0; i < ts.size(); i++) {
        TensorInfo t = ts.get(i);
        assertEquals(DType.BF16, t.type().dtype());
        long[] want = switch (i % 3) {
          case 0 -> new long[] {h};
          case 1 -> new long[] {h, h};
          default -> new long[] {h, h * 16 / 3};
        };
        assertEquals(java.util.Arrays.toString(want), java.util.Arrays.toString(t.type().shape().dims()), t.name());
        var seg = r.segment(t);
        for (long k = 0; k < seg.byteSize(); k += 2) {
          short bits = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, k);
          assertNotEquals(0x7F80, bits & 0x7F80, t.name() + ": a non-finite bf16 at byte " + k);
        }
        total += t.byteSize();
      }
      assertTrue(total >= 3_000_000, "at least --bytes: " + total);
      assertTrue(out.contains(ts.size() + " tensors, " + total + " bytes"), out);
      assertTrue(out.contains("STAGED") && out.contains("no DMA mapping"), "the CPU backend falls back and says why:\n" + out);
      assertTrue(out.contains("GB/s") && out.contains("checked: first and last tensors equal the file's bytes"), out);
    }
  }
}
