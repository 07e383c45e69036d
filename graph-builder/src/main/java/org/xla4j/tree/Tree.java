package org.xla4j.tree;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * An immutable tree of named leaves: model parameters, their shardings, device arrays, gradients,
 * caches. Leaves are keyed by paths of components joined by {@code '/'}, such as
 * {@code transformer/decoder_layer_3/multi_head_attention/query/w}; a component is any non-empty
 * string without {@code '/'}. A path is either a leaf or an inner node, never both.
 *
 * <p><b>Flatten order</b> (of {@link #paths()}, {@link #leaves()}, {@link #entries()}, and so of a
 * {@code Program}'s arguments built from a tree) is JAX's order for nested dicts: paths compared
 * component by component, each component as a string ({@code decoder_layer_10} comes before
 * {@code decoder_layer_2}), a shorter path before its extensions. It depends only on the set of
 * paths, never on the order leaves were added in, so two trees with the same paths flatten alike.
 *
 * <pre>{@code
 * Tree<TensorType> params = Tree.<TensorType>builder()
 *     .put("mlp/w1", TensorType.of(DType.BF16, 512, 2048))
 *     .put("mlp/w2", TensorType.of(DType.BF16, 2048, 512))
 *     .build();
 * Tree<Long> bytes = params.map(TensorType::byteSize);
 * Tree<TensorType> mlp = params.subtree("mlp");        // paths "w1", "w2"
 * }</pre>
 *
 * @param <T> the leaf type (non-null leaves)
 */
public final class Tree<T> implements Iterable<Tree.Leaf<T>> {
  /** JAX's dict flatten order: component-wise string comparison. */
  public static final Comparator<String> ORDER = Tree::compare;

  private static final Tree<?> EMPTY = new Tree<>(new TreeMap<>(ORDER));

  private final TreeMap<String, T> leaves;

  private Tree(TreeMap<String, T> leaves) {
    this.leaves = leaves;
  }

  /** One leaf with its path. */
  public record Leaf<T>(String path, T value) {
    public Leaf {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(value, "value");
    }
  }

  // ---------------------------------------------------------------- construction

  /** The tree without leaves. */
  @SuppressWarnings("unchecked")
  public static <T> Tree<T> empty() { return (Tree<T>) EMPTY; }

  /** A builder; {@link Builder#put} rejects duplicate and conflicting paths. */
  public static <T> Builder<T> builder() { return new Builder<>(); }

  /** A tree of the map's entries (paths to leaves). */
  public static <T> Tree<T> of(Map<String, ? extends T> leaves) {
    Builder<T> b = builder();
    leaves.forEach(b::put);
    return b.build();
  }

  /** The inverse of {@link #paths()} + {@link #leaves()}: pairs paths with values by position. */
  public static <T> Tree<T> unflatten(List<String> paths, List<? extends T> values) {
    if (paths.size() != values.size()) {
      throw new TreeException("Tree.unflatten: requires as many values as paths, got " + paths.size() + " paths and "
          + values.size() + " values");
    }
    Builder<T> b = builder();
    for (int i = 0; i < paths.size(); i++) b.put(paths.get(i), values.get(i));
    return b.build();
  }

  /** Builds a {@link Tree}; single-threaded. */
  public static final class Builder<T> {
    private final TreeMap<String, T> map = new TreeMap<>(ORDER);
    private boolean built;

    private Builder() {}

    /** Adds a leaf. Path components are joined with '/'; {@code put("a/b", x)} = {@code put(x, "a", "b")}. */
    public Builder<T> put(String path, T value) {
      if (built) throw new IllegalStateException("Tree.Builder: already built");
      checkPath(path);
      if (value == null) throw new TreeException("Tree.put: requires a non-null leaf, got null at '" + path + "'");
      if (map.containsKey(path)) throw new TreeException("Tree.put: path '" + path + "' is already a leaf");
      // a path may not be both a leaf and an inner node
      // in component order a leaf's extensions follow it directly, so only the floor can be an ancestor
      String floor = map.floorKey(path);
      if (floor != null && isPrefixOrSelf(floor, path)) {
        throw new TreeException("Tree.put: requires '" + path + "' not under the leaf '" + floor + "'");
      }
      String above = map.ceilingKey(path + "/");
      if (above != null && isPrefixOrSelf(path, above)) {
        throw new TreeException("Tree.put: requires '" + path + "' not to be a leaf: it is the inner node above '"
            + above + "'");
      }
      map.put(path, value);
      return this;
    }

    /** Adds a leaf at the path made of {@code components}. */
    public Builder<T> put(T value, String... components) { return put(join(components), value); }

    /** Adds every leaf of {@code tree} under {@code prefix} ("" for none). */
    public Builder<T> putAll(String prefix, Tree<? extends T> tree) {
      for (Leaf<? extends T> l : tree) put(prefix.isEmpty() ? l.path() : prefix + "/" + l.path(), l.value());
      return this;
    }

    public Tree<T> build() {
      built = true;
      return map.isEmpty() ? empty() : new Tree<>(map);
    }
  }

  // ---------------------------------------------------------------- queries

  /** Number of leaves. */
  public int size() { return leaves.size(); }

  public boolean isEmpty() { return leaves.isEmpty(); }

  /** Leaf paths in flatten order. */
  public List<String> paths() { return List.copyOf(leaves.keySet()); }

  /** Leaf values in flatten order. */
  public List<T> leaves() { return List.copyOf(leaves.values()); }

  /** (path, value) pairs in flatten order. */
  public List<Leaf<T>> entries() {
    List<Leaf<T>> out = new ArrayList<>(leaves.size());
    leaves.forEach((p, v) -> out.add(new Leaf<>(p, v)));
    return out;
  }

  /** The leaves as an ordered, unmodifiable map. */
  public Map<String, T> asMap() { return Collections.unmodifiableMap(new LinkedHashMap<>(leaves)); }

  @Override
  public Iterator<Leaf<T>> iterator() { return entries().iterator(); }

  public boolean contains(String path) { return leaves.containsKey(path); }

  /** Position of {@code path} in flatten order, or -1. */
  public int indexOf(String path) {
    if (!leaves.containsKey(path)) return -1;
    return leaves.headMap(path, false).size();
  }

  /** The leaf at {@code path}, if any. */
  public Optional<T> find(String path) { return Optional.ofNullable(leaves.get(path)); }

  /**
   * The leaf at {@code path}.
   *
   * @throws NoSuchElementException naming the path and the nearest paths the tree has
   */
  public T get(String path) {
    T v = leaves.get(path);
    if (v == null) throw new NoSuchElementException("Tree.get: no leaf '" + path + "'; " + near(path));
    return v;
  }

  /** Whether {@code prefix} names an inner node (or a leaf) of this tree. */
  public boolean hasNode(String prefix) {
    if (leaves.containsKey(prefix)) return true;
    String k = leaves.ceilingKey(prefix + "/");
    return k != null && k.startsWith(prefix + "/");
  }

  /** Names of the direct children of the node {@code prefix} ("" for the root), in flatten order. */
  public List<String> children(String prefix) {
    List<String> out = new ArrayList<>();
    String start = prefix.isEmpty() ? "" : prefix + "/";
    for (String p : tailFrom(prefix)) {
      String rest = p.substring(start.length());
      int slash = rest.indexOf('/');
      String c = slash < 0 ? rest : rest.substring(0, slash);
      if (out.isEmpty() || !out.getLast().equals(c)) out.add(c);
    }
    return out;
  }

  /**
   * The leaves under {@code prefix}, with paths relative to it.
   *
   * @throws NoSuchElementException when no leaf is under {@code prefix}
   */
  public Tree<T> subtree(String prefix) {
    if (prefix.isEmpty()) return this;
    TreeMap<String, T> out = new TreeMap<>(ORDER);
    for (String p : tailFrom(prefix)) out.put(p.substring(prefix.length() + 1), leaves.get(p));
    if (out.isEmpty()) {
      throw new NoSuchElementException("Tree.subtree: no leaves under '" + prefix + "'; " + near(prefix));
    }
    return new Tree<>(out);
  }

  /** The same leaves with {@code prefix/} in front of every path. */
  public Tree<T> prefixed(String prefix) {
    checkPath(prefix);
    TreeMap<String, T> out = new TreeMap<>(ORDER);
    leaves.forEach((p, v) -> out.put(prefix + "/" + p, v));
    return new Tree<>(out);
  }

  /** The leaves whose path satisfies {@code keep}. */
  public Tree<T> filter(Predicate<String> keep) {
    TreeMap<String, T> out = new TreeMap<>(ORDER);
    leaves.forEach((p, v) -> { if (keep.test(p)) out.put(p, v); });
    return out.isEmpty() ? empty() : new Tree<>(out);
  }

  /** This tree with the leaf at {@code path} added or replaced. */
  public Tree<T> with(String path, T value) {
    if (leaves.containsKey(path)) {
      Objects.requireNonNull(value, "value");
      TreeMap<String, T> out = new TreeMap<>(leaves);
      out.put(path, value);
      return new Tree<>(out);
    }
    Builder<T> b = builder();
    leaves.forEach(b::put);
    return b.put(path, value).build();
  }

  /** Both trees' leaves; their paths must be disjoint and not conflict. */
  public Tree<T> merge(Tree<? extends T> other) {
    Builder<T> b = builder();
    leaves.forEach(b::put);
    for (Leaf<? extends T> l : other) b.put(l.path(), l.value());
    return b.build();
  }

  // ---------------------------------------------------------------- transforms

  /** The same paths with {@code f} applied to each leaf (in flatten order). */
  public <R> Tree<R> map(Function<? super T, ? extends R> f) { return mapWithPath((p, v) -> f.apply(v)); }

  /** The same paths with {@code f(path, leaf)} for each leaf; errors from {@code f} name the path. */
  public <R> Tree<R> mapWithPath(BiFunction<String, ? super T, ? extends R> f) {
    TreeMap<String, R> out = new TreeMap<>(ORDER);
    for (Map.Entry<String, T> e : leaves.entrySet()) {
      R r;
      try {
        r = f.apply(e.getKey(), e.getValue());
      } catch (TreeException ex) {
        throw ex;
      } catch (RuntimeException ex) {
        throw new TreeException("at '" + e.getKey() + "': " + ex.getMessage(), ex);
      }
      if (r == null) throw new TreeException("Tree.map: the function returned null at '" + e.getKey() + "'");
      out.put(e.getKey(), r);
    }
    return out.isEmpty() ? empty() : new Tree<>(out);
  }

  /**
   * Pairs the leaves of two trees of the same structure.
   *
   * @throws TreeException naming the first path present in one tree and not the other
   */
  public <U, R> Tree<R> zip(Tree<U> other, BiFunction<? super T, ? super U, ? extends R> f) {
    requireSameStructure(other, "Tree.zip");
    return mapWithPath((p, v) -> f.apply(v, other.leaves.get(p)));
  }

  /** Whether both trees have the same paths. */
  public boolean sameStructure(Tree<?> other) { return leaves.keySet().equals(other.leaves.keySet()); }

  /**
   * Checks that {@code other} has exactly this tree's paths.
   *
   * @param what the operation, first word of the message
   * @throws TreeException naming the first differing path and which tree lacks it
   */
  public void requireSameStructure(Tree<?> other, String what) {
    Iterator<String> a = leaves.keySet().iterator();
    Iterator<String> b = other.leaves.keySet().iterator();
    String x = a.hasNext() ? a.next() : null;
    String y = b.hasNext() ? b.next() : null;
    while (x != null || y != null) {
      int c = x == null ? 1 : y == null ? -1 : compare(x, y);
      if (c < 0) {
        throw new TreeException(what + ": requires trees of the same structure; '" + x
            + "' is in the first tree but not in the second (" + size() + " vs " + other.size() + " leaves)");
      }
      if (c > 0) {
        throw new TreeException(what + ": requires trees of the same structure; '" + y
            + "' is in the second tree but not in the first (" + size() + " vs " + other.size() + " leaves)");
      }
      x = a.hasNext() ? a.next() : null;
      y = b.hasNext() ? b.next() : null;
    }
  }

  // ---------------------------------------------------------------- Object

  @Override
  public boolean equals(Object o) { return o instanceof Tree<?> t && leaves.equals(t.leaves); }

  @Override
  public int hashCode() { return leaves.hashCode(); }

  /** One line per leaf ({@code path: value}), at most 40 lines. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Tree(").append(size()).append(" leaves)");
    int n = 0;
    for (Map.Entry<String, T> e : leaves.entrySet()) {
      if (n++ == 40) {
        sb.append("\n  ... ").append(size() - 40).append(" more");
        break;
      }
      sb.append("\n  ").append(e.getKey()).append(": ").append(e.getValue());
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------- paths

  /** Joins components with '/', checking each. */
  public static String join(String... components) {
    String p = String.join("/", components);
    checkPath(p);
    return p;
  }

  /** The components of a path. */
  public static List<String> split(String path) {
    checkPath(path);
    return List.of(path.split("/", -1));
  }

  /**
   * Checks that {@code path} is a valid path.
   *
   * @throws TreeException saying what is wrong with it
   */
  public static void checkPath(String path) {
    if (path == null || path.isEmpty()) throw new TreeException("Tree: requires a non-empty path, got '" + path + "'");
    if (path.startsWith("/") || path.endsWith("/") || path.contains("//")) {
      throw new TreeException("Tree: requires path components that are non-empty, got '" + path + "'");
    }
  }

  /**
   * Component order in one pass without allocating (trees are compared on every call of a program): at the
   * first differing character, a component that ends ('/') is a prefix of the other and sorts first;
   * otherwise the characters decide; a path that ends first is a prefix and sorts first.
   */
  private static int compare(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int k = 0; k < n; k++) {
      char ca = a.charAt(k);
      char cb = b.charAt(k);
      if (ca != cb) {
        if (ca == '/') return -1;
        if (cb == '/') return 1;
        return ca - cb;
      }
    }
    return a.length() - b.length();
  }

  private static boolean isPrefixOrSelf(String node, String path) {
    return path.equals(node) || path.startsWith(node + "/");
  }

  /** Leaf paths strictly under {@code prefix}. Component order keeps them contiguous. */
  private List<String> tailFrom(String prefix) {
    if (prefix.isEmpty()) return paths();
    List<String> out = new ArrayList<>();
    for (String p : leaves.tailMap(prefix, false).keySet()) { // extensions of prefix come first
      if (!p.startsWith(prefix + "/")) break;
      out.add(p);
    }
    return out;
  }

  private String near(String path) {
    if (leaves.isEmpty()) return "the tree is empty";
    String lo = leaves.lowerKey(path);
    String hi = leaves.higherKey(path);
    StringBuilder sb = new StringBuilder("nearest: ");
    if (lo != null) sb.append("'").append(lo).append("'");
    if (lo != null && hi != null) sb.append(", ");
    if (hi != null) sb.append("'").append(hi).append("'");
    return sb.append(" (").append(size()).append(" leaves)").toString();
  }
}
