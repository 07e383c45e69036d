package org.xla4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.xla4j.checkpoint.CheckpointMap;
import org.xla4j.checkpoint.CheckpointTensor;
import org.xla4j.checkpoint.CheckpointUpload;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.SafetensorsReader;
import org.xla4j.tree.Tree;

/**
 * The whole checkpoint path, timed from opening the checkpoint to every buffer ready on the device:
 * headers, name map, mapping, DMA registration or staging, transfers. Prints bytes, wall time, GB/s
 * and the route each file took; afterwards (untimed) checks the first and last tensors' bytes.
 *
 * <pre>{@code
 * xla4j bench upload --checkpoint /tmp/ckpt --backend pjrt --path auto
 * }</pre>
 */
final class CheckpointBench {
  private CheckpointBench() {}

  static void run(Backend backend, Path checkpoint, CheckpointUpload.Policy policy, int repeat, PrintStream out)
      throws IOException {
    for (int rep = 0; rep < repeat; rep++) {
      long t0 = System.nanoTime();
      try (SafetensorsReader r = SafetensorsReader.open(checkpoint)) {
        Tree<CheckpointTensor> leaves = CheckpointMap.identity().apply(r);
        long t1 = System.nanoTime();
        CheckpointUpload.Result res = CheckpointUpload.upload(leaves, backend, backend.devices().get(0), policy);
        long t2 = System.nanoTime();
        try {
          double s = (t2 - t0) / 1e9;
          out.printf("checkpoint upload (%s, run %d of %d) on %s: %d tensors, %d bytes (%.3f GiB) in %d file(s):"
              + " %.3f s from open to all buffers ready (headers + map %.1f ms), %.2f GB/s%n", policy, rep + 1, repeat,
              backend.platformName(), leaves.size(), res.bytes(), res.bytes() / (double) (1L << 30), res.files().size(), s,
              (t1 - t0) / 1e6, res.bytes() / 1e9 / s);
          for (CheckpointUpload.FileReport f : res.files()) {
            out.printf("  %s: %s, %d tensors, %.3f GiB, %.1f ms (%.2f GB/s)%s%s%n", f.file().getFileName(), f.route(),
                f.tensors(), f.bytes() / (double) (1L << 30), f.nanos() / 1e6, f.bytes() / (double) f.nanos(),
                f.route() == CheckpointUpload.Route.DMA_MAPPED ? String.format(", registration %.1f ms", f.registerNanos() / 1e6) : "",
                f.why().isEmpty() ? "" : "; staged because " + f.why());
          }
          check(leaves, res.buffers(), out);
        } finally {
          res.buffers().leaves().forEach(DeviceBuffer::close);
        }
      }
    }
  }

  /** The first and last tensors back on the host equal the file's bytes (at most 1 GiB each). */
  private static void check(Tree<CheckpointTensor> leaves, Tree<DeviceBuffer> got, PrintStream out) {
    List<String> paths = leaves.paths();
    for (String p : List.of(paths.get(0), paths.get(paths.size() - 1))) {
      CheckpointTensor t = leaves.get(p);
      if (t.type().byteSize() > (1L << 30)) continue;
      byte[] want = t.read().bytes();
      if (!Arrays.equals(want, got.get(p).toHost().bytes())) {
        throw new IllegalStateException("bench upload: tensor " + p + " on the device differs from " + t.sources().get(0).file());
      }
    }
    out.println("  checked: first and last tensors equal the file's bytes");
  }
}
