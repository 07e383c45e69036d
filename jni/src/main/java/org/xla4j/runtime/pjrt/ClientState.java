package org.xla4j.runtime.pjrt;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.xla4j.runtime.XlaException;

/**
 * Native state of one PJRT client, shared by the backend and all its buffers and executables (they
 * hold it strongly, never the outer objects). Operations run under the read lock; close takes the
 * write lock, frees every live child first (PJRT requires it), then destroys the client.
 */
final class ClientState implements Runnable {
  /** Native state of a child (buffer, executable) that the client frees at its own close. */
  interface Child {
    /** Frees the native object; called with the client's write lock held or the read lock held. */
    void freeNative();
  }

  final PjrtNative.Client client;
  final String description;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final Set<Child> children = Collections.newSetFromMap(new IdentityHashMap<>());
  private volatile boolean closed;

  ClientState(PjrtNative.Client client, String description) {
    this.client = client;
    this.description = description;
  }

  /** Takes the read lock; throws IllegalStateException if the client is closed. Pair with {@link #exit}. */
  void enter() {
    lock.readLock().lock();
    if (closed) {
      lock.readLock().unlock();
      throw new IllegalStateException("the PJRT backend (" + description + ") is closed");
    }
  }

  void exit() { lock.readLock().unlock(); }

  boolean isClosed() { return closed; }

  void register(Child c) {
    synchronized (children) { children.add(c); }
  }

  /** Removes a child; returns false if the client already freed it (client closed). */
  boolean unregister(Child c) {
    synchronized (children) { return children.remove(c); }
  }

  /**
   * A child's close() and Cleaner action: frees it unless the client did already (a closed client
   * freed every child at its close, and one closing meanwhile will).
   */
  void release(Child c) {
    if (isClosed()) return;
    try {
      enter();
    } catch (IllegalStateException closedMeanwhile) {
      return;
    }
    try {
      if (unregister(c)) c.freeNative();
    } finally {
      exit();
    }
  }

  /** Closes the client: idempotent; the Cleaner calls it too. */
  @Override
  public void run() {
    lock.writeLock().lock();
    try {
      if (closed) return;
      closed = true;
      List<Child> live;
      synchronized (children) {
        live = new ArrayList<>(children);
        children.clear();
      }
      for (Child c : live) c.freeNative();
      if (PjrtNative.x4j_client_destroy(client) != 0) {
        throw new XlaException(XlaException.Code.fromNumber(PjrtNative.x4j_last_error_code()), PjrtNative.lastMessage());
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Throws the calling thread's last native error if {@code rc != 0}. */
  static void check(int rc) {
    if (rc != 0) throw error();
  }

  static XlaException error() {
    int code = PjrtNative.x4j_last_error_code();
    String msg = PjrtNative.lastMessage();
    return new XlaException(XlaException.Code.fromNumber(code == 0 ? 2 : code), msg.isEmpty() ? "PJRT call failed" : msg);
  }
}
