package org.xla4j.runtime.cpu;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs TensorFlow/XLA calls on threads with a large stack. MLIR's and XLA's passes recurse along a
 * program's dependency chain: a chain of about 1,500 elementwise ops overflowed the default 1 MiB
 * (or 8 MiB) thread stack with a SIGSEGV that kills the JVM. A Java platform thread's native frames
 * live on its own thread stack, whose size the {@link Thread} constructor sets; the memory is only
 * reserved (virtual), pages are touched as the stack grows.
 *
 * <p>Stack size: {@value #DEFAULT_STACK_MIB} MiB unless the system property {@code xla4j.cpu.stackMiB}
 * says otherwise. Threads are daemons, created on demand (one per concurrent call) and ended after
 * {@value #KEEP_ALIVE_S} s idle.
 */
final class NativeStack {
  private NativeStack() {}

  static final long DEFAULT_STACK_MIB = 2048;
  private static final long KEEP_ALIVE_S = 30;
  private static final long STACK_BYTES = Long.getLong("xla4j.cpu.stackMiB", DEFAULT_STACK_MIB) << 20;
  private static final AtomicInteger COUNT = new AtomicInteger();
  private static final ThreadGroup GROUP = new ThreadGroup("xla4j-cpu");

  private static final ThreadPoolExecutor POOL = new ThreadPoolExecutor(0, Integer.MAX_VALUE, KEEP_ALIVE_S,
      TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
        Thread t = new Thread(GROUP, r, "xla4j-cpu-" + COUNT.incrementAndGet(), STACK_BYTES);
        t.setDaemon(true);
        return t;
      });

  /** The stack size, in bytes, of the threads {@link #call} runs on. */
  static long stackBytes() { return STACK_BYTES; }

  /** Whether the current thread is one of ours (then {@link #call} runs inline). */
  static boolean onWorker() { return Thread.currentThread().getThreadGroup() == GROUP; }

  /**
   * Runs {@code action} on a large-stack thread and returns its result; its RuntimeException or
   * Error is rethrown here as is. Waits uninterruptibly (a native call cannot be stopped halfway);
   * an interrupt that arrives meanwhile is kept on the caller's thread.
   */
  static <T> T call(Supplier<T> action) {
    if (onWorker()) return action.get();
    CompletableFuture<T> f;
    try {
      f = CompletableFuture.supplyAsync(action, POOL);
    } catch (OutOfMemoryError | RejectedExecutionException e) {
      // no address space for a large stack (ulimit -v, overcommit off): run here, as before; only
      // programs with very deep dependency chains need more than the caller's stack
      return action.get();
    }
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return f.get();
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          Throwable c = e.getCause();
          if (c instanceof RuntimeException r) throw r;
          if (c instanceof Error err) throw err;
          throw new IllegalStateException(c);
        }
      }
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  /** {@link #call} for an action without a result. */
  static void run(Runnable action) {
    call(() -> {
      action.run();
      return null;
    });
  }
}
