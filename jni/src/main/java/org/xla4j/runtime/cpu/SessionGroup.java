package org.xla4j.runtime.cpu;

import org.tensorflow.Graph;
import org.tensorflow.Session;

/**
 * One TensorFlow graph and session shared by up to {@value #PROGRAMS_PER_SESSION} programs. Each TF
 * session creates its own CPU device, and the device's XLA compiler starts 10 threads that stay idle
 * until the session closes: with a session per program, 64 cached programs held 640 idle threads.
 * Programs add their nodes (under a unique name prefix) to the group's graph; a session runs only the
 * nodes a call feeds and fetches. TF graphs are append-only, so a closed program's nodes (and its
 * compiled code) stay until every program of its group is closed; then the group closes.
 *
 * <p>Thread-safety: every method synchronizes on the class; adding nodes while another program of the
 * group runs is safe (TF's C API extends the session under the graph's lock).
 */
final class SessionGroup {
  static final int PROGRAMS_PER_SESSION = 16;

  private static SessionGroup current; // guarded by SessionGroup.class

  private final Graph graph = new Graph();
  private final Session session = new Session(graph);
  private final int id; // for toString
  private static int nextId;
  private int added; // programs placed here, ever
  private int open; // programs placed here and not yet released
  private boolean closed;

  private SessionGroup(int id) { this.id = id; }

  /** A group with room for one more program, counted as open until {@link #release}. */
  static synchronized SessionGroup acquire() {
    if (current == null || current.closed || current.added >= PROGRAMS_PER_SESSION) current = new SessionGroup(nextId++);
    current.added++;
    current.open++;
    return current;
  }

  Graph graph() { return graph; }

  @Override
  public String toString() { return "SessionGroup(" + id + ", " + open + " open of " + added + ")"; }

  Session session() { return session; }

  /** One program of the group is closed; the last one closes the session and graph. */
  void release() {
    synchronized (SessionGroup.class) {
      if (closed || --open > 0) return;
      closed = true;
      if (current == this) current = null;
    }
    NativeStack.run(() -> {
      session.close();
      graph.close();
    });
  }
}
