package org.xla4j.runtime.pjrt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.xla4j.runtime.X4jArtifact;

/**
 * On-disk cache of compiled programs, as {@code .x4j} artifacts named by a key over (program hash,
 * serialized compile options, plugin platform + version + API version, device kind, and the process's
 * {@code XLA_FLAGS}, which the plugin reads as its default debug options). The directory is
 * {@code $XLA4J_CACHE_DIR/pjrt}, else {@code ~/.cache/xla4j/pjrt}; {@code XLA4J_CACHE_DIR=off} (or
 * {@code -Dxla4j.cache=off}) turns it off. A corrupt or unloadable entry is a miss, never an error.
 *
 * <pre>{@code
 * gpu.compile(text, opts);          // miss: compiles and stores
 * gpu.compile(text, opts);          // hit: deserializes
 * gpu.compileCache().hits();        // 1
 * }</pre>
 */
public final class PjrtCompileCache {
  private final Path dir; // null: disabled
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();
  private final AtomicLong stores = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();

  PjrtCompileCache(Path dir) { this.dir = dir; }

  /** The cache the environment asks for (see the class comment). */
  public static PjrtCompileCache fromEnvironment() {
    String prop = System.getProperty("xla4j.cache");
    String env = System.getenv("XLA4J_CACHE_DIR");
    if ("off".equalsIgnoreCase(prop) || "off".equalsIgnoreCase(env) || "none".equalsIgnoreCase(env)) return disabled();
    Path base = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "xla4j");
    return at(base.resolve("pjrt"));
  }

  /** A cache in {@code dir}. */
  public static PjrtCompileCache at(Path dir) { return new PjrtCompileCache(dir); }

  /** A cache that never hits and stores nothing. */
  public static PjrtCompileCache disabled() { return new PjrtCompileCache(null); }

  public boolean enabled() { return dir != null; }

  public Optional<Path> directory() { return Optional.ofNullable(dir); }

  public long hits() { return hits.get(); }

  public long misses() { return misses.get(); }

  public long stores() { return stores.get(); }

  /** Entries that existed but could not be read or loaded (treated as misses). */
  public long failures() { return failures.get(); }

  /** The cache key of a compile on {@code b}. */
  static String key(PjrtBackend b, String programHash, byte[] options) {
    String flags = System.getenv("XLA_FLAGS");
    StringBuilder sb = new StringBuilder()
        .append("xla4j-pjrt-cache-v1\n").append(programHash).append('\n')
        .append(flags == null ? "" : "XLA_FLAGS=" + flags.strip() + '\n')
        .append(HexFormat.of().formatHex(options)).append('\n')
        .append(b.platformName()).append('\n').append(b.platformVersion()).append('\n')
        .append(b.apiVersion()).append('\n');
    b.devices().forEach(d -> sb.append(d.kind()).append(';'));
    return X4jArtifact.sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  Path file(String key) { return dir.resolve(key + ".x4j"); }

  /** The cached artifact for the key, or empty (counted as a hit or a miss). */
  Optional<X4jArtifact> lookup(String key) {
    if (dir == null) return Optional.empty();
    Path f = file(key);
    if (!Files.isRegularFile(f)) {
      misses.incrementAndGet();
      return Optional.empty();
    }
    try {
      X4jArtifact a = X4jArtifact.read(f);
      hits.incrementAndGet();
      return Optional.of(a);
    } catch (IOException | RuntimeException e) {
      failures.incrementAndGet();
      misses.incrementAndGet();
      return Optional.empty();
    }
  }

  /** A hit that then failed to load: count it as a failure and a miss instead. */
  void demote() {
    hits.decrementAndGet();
    failures.incrementAndGet();
    misses.incrementAndGet();
  }

  void store(String key, X4jArtifact a) {
    if (dir == null) return;
    try {
      a.write(file(key));
      stores.incrementAndGet();
    } catch (IOException | RuntimeException e) {
      failures.incrementAndGet();
    }
  }

  @Override
  public String toString() {
    return dir == null ? "PjrtCompileCache[off]"
        : "PjrtCompileCache[" + dir + ", hits=" + hits + ", misses=" + misses + ", stores=" + stores + ", failures=" + failures + "]";
  }
}
