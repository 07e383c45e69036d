package org.xla4j.cli;

import java.io.PrintStream;
import org.xla4j.models.checkpoint.LoadProgress;

/**
 * A text progress bar for {@link LoadProgress}: {@code loading [#####.....] 52% 1.2/2.3 GB 3.1 GB/s},
 * redrawn in place with a carriage return, ended by a newline.
 */
final class ConsoleProgress implements LoadProgress {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private String what = "";
  private long total;
  private long done;
  private long startNanos;

  ConsoleProgress(PrintStream out) { this.out = out; }

  @Override
  public void start(String what, long totalBytes) {
    this.what = what;
    this.total = totalBytes;
    this.done = 0;
    this.startNanos = System.nanoTime();
    draw();
  }

  @Override
  public void advance(String path, long bytes) {
    done += bytes;
    draw();
  }

  @Override
  public void finish() {
    out.println();
    out.flush();
  }

  private void draw() {
    double frac = total == 0 ? 1 : Math.min(1, (double) done / total);
    int filled = (int) Math.round(frac * WIDTH);
    double secs = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
    out.printf("\r%s [%s%s] %3d%% %s/%s %.2f GB/s", what, "#".repeat(filled), ".".repeat(WIDTH - filled),
        Math.round(frac * 100), ModelInfo.human(done), ModelInfo.human(total), done / secs / 1e9);
    out.flush();
  }
}
