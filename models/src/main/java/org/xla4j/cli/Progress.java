package org.xla4j.cli;

import java.time.Duration;
import java.util.function.Consumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.xla4j.models.checkpoint.LoadProgress;

/**
 * Progress of a long CLI step on stderr: the stage, the elapsed time and, where the total is known, a
 * bar. Shown only when stderr is a terminal (the launcher exports {@code XLA4J_STDERR_TTY=1} after
 * {@code [ -t 2 ]}; Java cannot tell stderr's kind itself) and {@code --quiet} is not given, so pipes,
 * logs and tests see nothing. Every command calls this one facade.
 *
 * <pre>
 * try (Progress p = Progress.bar("attention compare", mechanisms.size())) {
 *   for (Mechanism m : mechanisms) { p.message("compile " + m); ...; p.step(); }
 * }
 * </pre>
 */
final class Progress implements AutoCloseable {
  private static volatile boolean quiet;

  private final ProgressBar bar; // null: progress is off
  private boolean closed;

  private Progress(ProgressBar bar) {
    this.bar = bar;
  }

  /** {@code --quiet}: no progress for the rest of this run. */
  static void setQuiet(boolean q) {
    quiet = q;
  }

  /** Whether progress is shown: stderr is a terminal and {@code --quiet} was not given. */
  static boolean enabled() {
    return !quiet && "1".equals(System.getenv("XLA4J_STDERR_TTY"));
  }

  /** A step of unknown length: its name and the time elapsed, until {@link #close}. */
  static Progress stage(String name) {
    return enabled() ? new Progress(builder(name, -1).build()) : new Progress(null);
  }

  /** A step of {@code total} units: a bar, the elapsed time and an estimate of the rest. */
  static Progress bar(String name, long total) {
    return enabled() ? new Progress(builder(name, total).build()) : new Progress(null);
  }

  /** A bar over {@code totalBytes} bytes, shown in MiB, for loading and writing checkpoints. */
  static Progress bytes(String name, long totalBytes) {
    return enabled() ? new Progress(builder(name, totalBytes).setUnit(" MiB", 1L << 20).showSpeed().build())
        : new Progress(null);
  }

  /**
   * A {@link LoadProgress} drawn with this facade: a {@link #bytes} bar from {@code start} to {@code finish}, so
   * checkpoint loading honours {@code --quiet} and the terminal check like every other step.
   */
  static LoadProgress loading() {
    return new LoadProgress() {
      private Progress bar = new Progress(null);

      @Override
      public void start(String what, long totalBytes) {
        bar.close();
        bar = bytes(what, totalBytes);
      }

      @Override
      public void advance(String path, long bytes) { bar.stepBy(bytes); }

      @Override
      public void finish() { bar.close(); }
    };
  }

  /** Progress written as lines to {@code sink} whatever the terminal (tests). */
  static Progress to(Consumer<String> sink, String name, long total) {
    return new Progress(builder(name, total).setConsumer(new DelegatingProgressBarConsumer(sink, 100))
        .setUpdateIntervalMillis(10).build());
  }

  private static ProgressBarBuilder builder(String name, long total) {
    return new ProgressBarBuilder().setTaskName(name).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(500).setMaxRenderedLength(100);
  }

  /** Says what the step does now (shown after the bar). */
  Progress message(String what) {
    if (bar != null) bar.setExtraMessage(what);
    return this;
  }

  /** One unit done. */
  Progress step() {
    if (bar != null) bar.step();
    return this;
  }

  /** {@code n} units done. */
  Progress stepBy(long n) {
    if (bar != null) bar.stepBy(n);
    return this;
  }

  /** Time since this progress started ({@link Duration#ZERO} when progress is off). */
  Duration elapsed() {
    return bar == null ? Duration.ZERO : bar.getTotalElapsed();
  }

  /** Ends the display (the last line stays, with the total time); later calls do nothing. */
  @Override
  public void close() {
    if (bar != null && !closed) bar.close();
    closed = true;
  }
}
