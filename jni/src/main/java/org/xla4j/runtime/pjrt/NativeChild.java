package org.xla4j.runtime.pjrt;

import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.Pointer;

/**
 * The native state of one child of a client (a buffer, an executable): its handle, freed at most once
 * (by close, the Cleaner, or the client's own close), and counted in a live-object counter for leak
 * tests. Never references the Java object that owns it, so that object can become unreachable.
 */
abstract class NativeChild implements Runnable, ClientState.Child {
  final ClientState client;
  final Pointer handle;
  private final AtomicLong live;
  private boolean freed;

  NativeChild(ClientState client, Pointer handle, AtomicLong live) {
    this.client = client;
    this.handle = handle;
    this.live = live;
    live.incrementAndGet();
  }

  /** Destroys the native object; called once. */
  abstract void destroy();

  @Override
  public final synchronized void freeNative() {
    if (freed) return;
    freed = true;
    live.decrementAndGet();
    destroy();
  }

  final synchronized boolean isFreed() { return freed; }

  /** Cleaner / close(): frees unless the client did already. */
  @Override
  public final void run() { client.release(this); }
}
