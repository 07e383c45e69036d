package org.xla4j.program;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.xla4j.emit.EmitOptions;
import org.xla4j.emit.MainAttributes;
import org.xla4j.emit.StableHloPrinter;
import org.xla4j.ir.Func;
import org.xla4j.ir.HloModule;
import org.xla4j.sharding.Mesh;
import org.xla4j.sharding.Sharding;
import org.xla4j.sharding.ShardingFormat;
import org.xla4j.tree.Tree;
import org.xla4j.types.Signature;
import org.xla4j.types.TensorType;

/**
 * A finished program as every backend takes it: the module, a name (a tree path) for each argument
 * and result, their shardings and mesh, the partitioner, the device counts (derived from the mesh and
 * checked), the donated arguments and whether the text carries source locations. Immutable; the
 * {@code with...} methods return changed copies. The StableHLO text is printed once per sharding
 * format, when first asked for. See the package documentation for an example.
 */
public final class Program {
  private final HloModule module;
  private final List<String> argPaths;
  private final List<String> resultPaths;
  private final Partitioner partitioner;
  private final int numPartitions;
  private final int numReplicas;
  private final Set<Integer> donated;
  private final boolean locations;
  private final Map<ShardingFormat, String> texts = new EnumMap<>(ShardingFormat.class);

  private Program(HloModule module, List<String> argPaths, List<String> resultPaths, Partitioner partitioner,
      int numPartitions, int numReplicas, Set<Integer> donated, boolean locations) {
    this.module = module;
    this.argPaths = argPaths;
    this.resultPaths = resultPaths;
    this.partitioner = partitioner;
    this.numPartitions = numPartitions;
    this.numReplicas = numReplicas;
    this.donated = donated;
    this.locations = locations;
  }

  /**
   * A program of {@code module} whose {@code main} arguments and results are named by {@code argPaths}
   * and {@code resultPaths} (tree paths, distinct, none both a leaf and above another). The partition
   * count is the device count of the mesh the shardings name (1 without one); one replica; the Shardy
   * partitioner when that is more than one device, none otherwise; nothing donated.
   *
   * @throws IllegalArgumentException naming the module when the names do not fit {@code main} or the
   *     shardings name meshes of different sizes
   */
  public static Program of(HloModule module, List<String> argPaths, List<String> resultPaths) {
    Func main = module.main();
    List<String> args = List.copyOf(argPaths);
    List<String> results = List.copyOf(resultPaths);
    checkNames(module, "argument", args, main.argTypes());
    checkNames(module, "result", results, main.resultTypes());
    int partitions;
    try {
      partitions = module.meshDevices();
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException("Program: " + e.getMessage(), e);
    }
    return new Program(module, args, results, partitions > 1 ? Partitioner.SHARDY : Partitioner.NONE, partitions,
        1, Set.of(), false);
  }

  /** As {@link #of(HloModule, List, List)}, naming arguments {@code arg0, arg1, ...} and results {@code out0, ...}. */
  public static Program of(HloModule module) {
    Func main = module.main();
    return of(module, numbered("arg", main.argTypes().size()), numbered("out", main.resultTypes().size()));
  }

  static List<String> numbered(String prefix, int n) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(prefix + i);
    return out;
  }

  private static void checkNames(HloModule m, String what, List<String> names, List<TensorType> types) {
    if (names.size() != types.size()) {
      throw new IllegalArgumentException("Program '" + m.name() + "': @main has " + types.size() + " " + what
          + "(s) " + types + ", got " + names.size() + " name(s) " + names);
    }
    Set<String> seen = new HashSet<>();
    for (String n : names) {
      if (!seen.add(n)) throw new IllegalArgumentException("Program '" + m.name() + "': two " + what + "s are named '" + n + "'");
    }
    try {
      Tree.unflatten(names, types); // each name a valid path, no leaf above another
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Program '" + m.name() + "': " + what + " names " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- what it is

  /** The module's name. */
  public String name() { return module.name(); }

  public HloModule module() { return module; }

  /** Argument and result types of {@code @main}, in argument order. */
  public Signature signature() { return new Signature(module.main().argTypes(), module.main().resultTypes()); }

  /** The argument names (tree paths), in argument order. */
  public List<String> argPaths() { return argPaths; }

  /** The result names (tree paths), in result order. */
  public List<String> resultPaths() { return resultPaths; }

  /** The argument types as a tree keyed by argument path. */
  public Tree<TensorType> argTypes() { return Tree.unflatten(argPaths, module.main().argTypes()); }

  /** The result types as a tree keyed by result path. */
  public Tree<TensorType> resultTypes() { return Tree.unflatten(resultPaths, module.main().resultTypes()); }

  /** Each argument's sharding, in argument order; null where unspecified. */
  public List<Sharding> argShardings() { return module.main().argShardings(); }

  /** Each result's sharding, in result order; null where unspecified. */
  public List<Sharding> resultShardings() { return module.main().resultShardings(); }

  /** The mesh the shardings name, if any (a program runs on one mesh's devices). */
  public Optional<Mesh> mesh() { return module.meshes().values().stream().findFirst(); }

  /** Position of the argument named {@code path}. */
  public int argIndex(String path) { return index("argument", argPaths, path); }

  /** Position of the result named {@code path}. */
  public int resultIndex(String path) { return index("result", resultPaths, path); }

  private int index(String what, List<String> paths, String path) {
    int i = paths.indexOf(path);
    if (i < 0) {
      throw new IllegalArgumentException("Program '" + name() + "' has no " + what + " '" + path + "'; its "
          + what + "s are " + paths);
    }
    return i;
  }

  public Partitioner partitioner() { return partitioner; }

  /** SPMD partitions: the device count of the shardings' mesh unless set by {@link #withPartitions}. */
  public int numPartitions() { return numPartitions; }

  public int numReplicas() { return numReplicas; }

  /** Devices the program runs on: replicas x partitions. */
  public int numDevices() { return numPartitions * numReplicas; }

  /** Indices of the donated arguments, ascending. */
  public List<Integer> donated() { return Donation.sorted(donated); }

  /** Paths of the donated arguments, in argument order. */
  public List<String> donatedPaths() { return donated().stream().map(argPaths::get).toList(); }

  /** Whether the text carries source locations. */
  public boolean locations() { return locations; }

  /**
   * The counts and the donation attributes the text states: each donated argument aliases the first
   * result of its type not taken by an earlier one ({@code tf.aliasing_output}), or is a plain buffer
   * donor ({@code jax.buffer_donor}) when none is left.
   */
  public MainAttributes mainAttributes() {
    return Donation.attributes(numPartitions, numReplicas, donated, module.main().argTypes(),
        module.main().resultTypes());
  }

  // ---------------------------------------------------------------- text

  /** The StableHLO text in the partitioner's dialect ({@link Partitioner#format()}). */
  public String text() { return text(partitioner.format()); }

  /** The StableHLO text in sharding dialect {@code format}, printed on first request and kept. */
  public String text(ShardingFormat format) {
    synchronized (texts) {
      return texts.computeIfAbsent(format,
          f -> StableHloPrinter.print(module, new EmitOptions(f, locations), mainAttributes()));
    }
  }

  // ---------------------------------------------------------------- changed copies

  /**
   * This program split by {@code p}. {@link Partitioner#NONE} is refused for a program on more than
   * one device.
   */
  public Program withPartitioner(Partitioner p) {
    java.util.Objects.requireNonNull(p, "partitioner");
    if (p == Partitioner.NONE && numPartitions > 1) {
      throw new IllegalArgumentException("Program '" + name() + "': partitioner NONE requires one partition, but it has "
          + numPartitions + describeMesh());
    }
    return new Program(module, argPaths, resultPaths, p, numPartitions, numReplicas, donated, locations);
  }

  /**
   * States the partition count. With a mesh it must equal the mesh's device count; without one (a
   * program that partitions itself, e.g. with {@code partition_id}) it is taken as given.
   *
   * @throws IllegalArgumentException naming both numbers when they differ
   */
  public Program withPartitions(int n) {
    if (n < 1) throw new IllegalArgumentException("Program '" + name() + "': partitions must be >= 1, got " + n);
    Optional<Mesh> mesh = mesh();
    if (mesh.isPresent() && mesh.get().size() != n) {
      throw new IllegalArgumentException("Program '" + name() + "': " + n + " partition(s) requested, but its shardings"
          + " name mesh '" + mesh.get().name() + "' " + mesh.get().axes() + " of " + mesh.get().size()
          + " devices; the partition count must be " + mesh.get().size());
    }
    Partitioner p = n > 1 && partitioner == Partitioner.NONE ? Partitioner.SHARDY : partitioner;
    return new Program(module, argPaths, resultPaths, p, n, numReplicas, donated, locations);
  }

  /** Runs {@code n} replicas of the (partitioned) program. */
  public Program withReplicas(int n) {
    if (n < 1) throw new IllegalArgumentException("Program '" + name() + "': replicas must be >= 1, got " + n);
    return new Program(module, argPaths, resultPaths, partitioner, numPartitions, n, donated, locations);
  }

  /** Also donates the arguments named {@code paths}. */
  public Program withDonated(String... paths) {
    Set<Integer> d = new TreeSet<>(donated);
    for (String p : paths) d.add(argIndex(p));
    return new Program(module, argPaths, resultPaths, partitioner, numPartitions, numReplicas, Set.copyOf(d), locations);
  }

  /** Also donates the arguments at {@code indices}. */
  public Program withDonated(int... indices) {
    Set<Integer> d = new TreeSet<>(donated);
    for (int i : indices) {
      if (i < 0 || i >= argPaths.size()) {
        throw new IllegalArgumentException("Program '" + name() + "': donated argument " + i + " does not exist; it has "
            + argPaths.size() + " argument(s) " + argPaths);
      }
      d.add(i);
    }
    return new Program(module, argPaths, resultPaths, partitioner, numPartitions, numReplicas, Set.copyOf(d), locations);
  }

  /** With or without source locations in the text. */
  public Program withLocations(boolean on) {
    return new Program(module, argPaths, resultPaths, partitioner, numPartitions, numReplicas, donated, on);
  }

  /**
   * Writes this program's dump stages into {@code dir}: {@code 01-program.txt}, {@code 02-stablehlo.mlir},
   * {@code 02-stablehlo-locations.mlir}, {@code 06-graph.html} and {@code 06-graph.dot}. A compiled
   * executable adds the backend's stages (see {@code CompileDump} in the runtime).
   *
   * <pre>{@code
   * program.dump(Path.of("dump/attention"));
   * }</pre>
   *
   * @return the files written
   */
  public List<java.nio.file.Path> dump(java.nio.file.Path dir) {
    return org.xla4j.graph.ProgramDump.write(this, dir);
  }

  private String describeMesh() {
    return mesh().map(m -> " (mesh '" + m.name() + "' " + m.axes() + ")").orElse("");
  }

  @Override
  public String toString() {
    return "Program(" + name() + ", " + argPaths + " -> " + resultPaths + ", " + numReplicas + " replica(s) x "
        + numPartitions + " partition(s), " + partitioner + (donated.isEmpty() ? "" : ", donated " + donatedPaths())
        + ")";
  }
}
