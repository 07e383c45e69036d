package org.xla4j.models.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.xla4j.checkpoint.CheckpointException;
import org.xla4j.checkpoint.CheckpointMap;
import org.xla4j.checkpoint.CheckpointRule;
import org.xla4j.models.grok.Grok1Config;
import org.xla4j.models.grok.WeightFormat;
import org.xla4j.runtime.SafetensorsReader;
import org.xla4j.runtime.TensorInfo;
import org.xla4j.tree.Tree;
import org.xla4j.types.TensorType;

/**
 * Grok-1's original checkpoint directory {@code ckpt-0}, as xai-org/grok-1 writes and reads it: one pickle
 * file per parameter, {@code tensorNNNNN_000} for leaf NNNNN ({@code _000}: the host index of a one-host
 * load), in the order of {@code jax.tree_util.tree_flatten} over the Haiku parameters
 * {@code {module path: {param name: array}}}. JAX flattens a dict by its sorted keys, so leaves come by module
 * path as a string ({@code language_model/in_out_embed}, {@code language_model/rms_norm},
 * {@code transformer/decoder_layer_0/moe/linear}, {@code .../moe/linear_1}, {@code .../moe/linear_v},
 * {@code .../multi_head_attention/key}, {@code linear}, {@code query}, {@code value}, {@code .../rms_norm} to
 * {@code rms_norm_3}, {@code .../router}) and layers lexicographically ({@code decoder_layer_0, _1, _10, _11,
 * ..., _19, _2, _20, ...}): 2 + 12·layers files, 770 for Grok-1. A matrix is an int8
 * {@code QuantizedWeight8bit(weight, scales)}, bf16 scales {@code [nb, out]} ({@code [E, nb, out]} for experts);
 * the embeddings, norms and router are f32 arrays; bf16 arrays are numpy arrays of ml_dtypes' bfloat16.
 *
 * <p>Where these facts come from (read 2026-12-02): xai-org/grok-1 {@code checkpoint.py} ({@code load_tensors}
 * opens {@code tensor{i:05d}_{idx:03d}} for the i-th leaf of {@code tree_flatten_with_path(state_shapes)};
 * {@code fast_unpickle} is plain {@code pickle.load}; {@code QuantizedWeight8bit} is put into {@code __main__}
 * "for loading the checkpoint with pickle") and {@code model.py} ({@code QuantizedWeight8bit} is a dataclass of
 * {@code weight} and {@code scales}; the parameter shapes come from {@code hk.get_parameter} as plain arrays, so
 * a quantized weight is one leaf; module names; {@code W = weight · scales} broadcast by blocks). The f32 and
 * bf16 shapes and the per-layer order agree with the table of the llama.cpp Grok-1 converter, which reads
 * ckpt-0 without unpickling (its loop over layers is numeric, not JAX's order; this reader follows JAX).
 * Shapes and dtypes here are also those of {@link Grok1Config#parameterTypes()} for {@link WeightFormat#INT8}.
 *
 * <p>Leaves become {@link TensorInfo}s named {@code tensorNNNNN_000} (a plain array) or
 * {@code tensorNNNNN_000.weight} / {@code .scales} (a QuantizedWeight8bit), each the byte range of its raw
 * array data inside the pickle, read through {@link SafetensorsReader#ofRanges}: uploads and reads are
 * zero-copy views of the mapped files, as for safetensors.
 *
 * <pre>{@code
 * Grok1Config c = Grok1Config.full().withWeightFormat(GrokCkpt0.weightFormat(dir, Grok1Config.full()));
 * try (SafetensorsReader r = GrokCkpt0.open(dir, c)) {
 *   Tree<CheckpointTensor> params = GrokCkpt0.map(c).apply(r, c.parameterTypes());
 * }
 * }</pre>
 */
public final class GrokCkpt0 {
  /** The directory name Grok-1's checkpoint.py reads ({@code checkpoints/ckpt-0}). */
  public static final String DIR = "ckpt-0";

  private static final Pattern FILE = Pattern.compile("tensor(\\d{5})_(\\d{3})");

  private GrokCkpt0() {}

  /**
   * One file of ckpt-0: the {@code index}-th leaf of JAX's flatten order, the tree path of its parameter
   * ({@code .../w} for a matrix) and whether it is a {@code QuantizedWeight8bit} (then its scales are the
   * sibling path {@code .../scales}).
   */
  public record Leaf(int index, String path, boolean quantized) {
    public Leaf {
      Objects.requireNonNull(path, "path");
    }

    /** {@code tensorNNNNN_000}. */
    public String file() { return String.format(java.util.Locale.ROOT, "tensor%05d_000", index); }

    /** The path of the scales of a quantized leaf. */
    public String scalesPath() { return path.substring(0, path.lastIndexOf('/')) + "/scales"; }

    /** The names of its tensors in {@link #open}'s reader. */
    public List<String> names() { return quantized ? List.of(file() + ".weight", file() + ".scales") : List.of(file()); }
  }

  /**
   * The files {@code c} needs, in JAX's flatten order of Haiku's {module: {name: array}} (module paths
   * compared as strings, then names); quantized where {@code c} is {@link WeightFormat#INT8} and has scales.
   */
  public static List<Leaf> leaves(Grok1Config c) {
    Tree<TensorType> types = c.parameterTypes();
    List<String> params = new ArrayList<>();
    for (String p : types.paths()) if (!p.endsWith("/scales")) params.add(p);
    // sorted(dict) in Python compares str code points; Java's compareTo does the same for these ASCII names
    params.sort(Comparator.comparing((String p) -> p.substring(0, p.lastIndexOf('/')))
        .thenComparing(p -> p.substring(p.lastIndexOf('/') + 1)));
    List<Leaf> out = new ArrayList<>(params.size());
    for (String p : params) {
      String scales = p.substring(0, p.lastIndexOf('/')) + "/scales";
      out.add(new Leaf(out.size(), p, types.contains(scales)));
    }
    return out;
  }

  /** The checkpoint names of {@link #open}'s reader to {@code c}'s tree paths, as data. */
  public static CheckpointMap map(Grok1Config c) {
    List<CheckpointRule> rules = new ArrayList<>();
    for (Leaf l : leaves(c)) {
      if (l.quantized()) {
        rules.add(CheckpointRule.of(Pattern.quote(l.file() + ".weight"), l.path()));
        rules.add(CheckpointRule.of(Pattern.quote(l.file() + ".scales"), l.scalesPath()));
      } else {
        rules.add(CheckpointRule.of(Pattern.quote(l.file()), l.path()));
      }
    }
    return new CheckpointMap(rules);
  }

  /**
   * The weight format of the checkpoint in {@code ckpt0}: {@link WeightFormat#INT8} when its first matrix
   * leaf (by {@code c}'s sizes) is a QuantizedWeight8bit, else BF16; INT8 (Grok-1's) when that file is missing.
   * Reads that one file's pickle opcodes.
   *
   * @throws CheckpointException when that file is not a ckpt-0 leaf
   */
  public static WeightFormat weightFormat(Path ckpt0, Grok1Config c) {
    Leaf first = leaves(c.withWeightFormat(WeightFormat.INT8)).stream().filter(Leaf::quantized).findFirst().orElseThrow();
    Path f = ckpt0.resolve(first.file());
    if (!Files.isRegularFile(f)) return WeightFormat.INT8; // Grok-1's own; open() then reports the missing file
    return NumpyPickle.read(f) instanceof PickledLeaf.Quantized ? WeightFormat.INT8 : WeightFormat.BF16;
  }

  /**
   * Opens {@code ckpt0} for {@code c}: checks that it holds exactly {@code c}'s leaves (no file beyond them, every
   * one present) and that each file's arrays have the dtypes and shapes of {@code c}'s tree, then returns a reader
   * of every array's data range. Read {@code c}'s tree from it with {@link #map}.
   *
   * @throws CheckpointException naming the directory and both counts when it holds more tensor files than the
   *     tree has leaves, or, for each offending leaf (up to 50), the file, the tree path and both types (the
   *     expected one alone for a missing file)
   */
  public static SafetensorsReader open(Path ckpt0, Grok1Config c) {
    List<Leaf> leaves = leaves(c);
    Tree<TensorType> types = c.parameterTypes();
    TreeSet<String> extra = tensorFiles(ckpt0);
    int present = extra.size();
    if (present == 0) {
      throw new CheckpointException("ckpt-0 " + ckpt0 + " holds no tensorNNNNN_000 files; the config's tree needs "
          + leaves.size() + " (" + leaves.get(0).file() + " .. " + leaves.get(leaves.size() - 1).file() + ")");
    }
    leaves.forEach(l -> extra.remove(l.file()));
    if (!extra.isEmpty()) {
      throw new CheckpointException("ckpt-0 " + ckpt0 + " holds " + present + " tensor files, but the config's tree ("
          + c.numLayers() + " layers, " + c.weightFormat() + ") has " + leaves.size() + " leaves (2 + 12 per layer); "
          + "files beyond it: " + extra.stream().limit(3).toList() + (extra.size() > 3 ? " and " + (extra.size() - 3)
          + " more" : "") + ". Give the checkpoint's config.json beside ckpt-0/ (without one, Grok-1's full config is assumed)");
    }
    List<String> problems = new ArrayList<>();
    List<TensorInfo> infos = new ArrayList<>();
    for (Leaf l : leaves) {
      Path f = ckpt0.resolve(l.file());
      if (!Files.isRegularFile(f)) {
        problems.add("missing: " + f + " (leaf " + l.index() + " in JAX's flatten order) should hold " + l.path() + " "
            + expected(l, types));
        continue;
      }
      PickledLeaf got;
      try {
        got = NumpyPickle.read(f);
      } catch (CheckpointException e) {
        problems.add(e.getMessage() + " (path " + l.path() + ")");
        continue;
      }
      switch (got) {
        case PickledLeaf.Quantized q when l.quantized() -> {
          check(problems, f, l.path(), q.weight().type(), types.get(l.path()), "QuantizedWeight8bit.weight");
          check(problems, f, l.scalesPath(), q.scales().type(), types.get(l.scalesPath()), "QuantizedWeight8bit.scales");
          infos.add(new TensorInfo(l.file() + ".weight", q.weight().type(), f, q.weight().offset(), q.weight().type().byteSize()));
          infos.add(new TensorInfo(l.file() + ".scales", q.scales().type(), f, q.scales().offset(), q.scales().type().byteSize()));
        }
        case PickledLeaf.Array a when !l.quantized() -> {
          check(problems, f, l.path(), a.type(), types.get(l.path()), "numpy array");
          infos.add(new TensorInfo(l.file(), a.type(), f, a.offset(), a.type().byteSize()));
        }
        default -> problems.add("wrong type: " + f + " holds a " + got + ", path " + l.path() + " expects " + expected(l, types));
      }
    }
    if (!problems.isEmpty()) {
      throw new CheckpointException("ckpt-0 " + ckpt0 + " does not fit the config's parameters (" + problems.size()
          + " problem(s)):\n  " + String.join("\n  ", problems.subList(0, Math.min(50, problems.size())))
          + (problems.size() > 50 ? "\n  ... and " + (problems.size() - 50) + " more" : ""));
    }
    try {
      return SafetensorsReader.ofRanges(ckpt0, infos);
    } catch (IOException e) {
      throw new CheckpointException("ckpt-0 " + ckpt0 + ": " + e.getMessage(), e);
    }
  }

  private static void check(List<String> problems, Path f, String path, TensorType got, TensorType want, String what) {
    if (!got.equals(want)) problems.add("wrong type: " + f + " holds " + what + " " + got + ", path " + path + " expects " + want);
  }

  private static String expected(Leaf l, Tree<TensorType> types) {
    return l.quantized() ? "a QuantizedWeight8bit(weight " + types.get(l.path()) + ", scales " + types.get(l.scalesPath()) + ")"
        : "a numpy array " + types.get(l.path());
  }

  /** The names of the {@code tensorNNNNN_NNN} files in {@code ckpt0}; refuses other host indices than 000. */
  private static TreeSet<String> tensorFiles(Path ckpt0) {
    TreeSet<String> out = new TreeSet<>();
    try (Stream<Path> s = Files.list(ckpt0)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        var m = FILE.matcher(p.getFileName().toString());
        if (!m.matches()) continue;
        if (!m.group(2).equals("000")) {
          throw new CheckpointException("ckpt-0 " + ckpt0 + " has " + p.getFileName() + ", a leaf split across hosts "
              + "(host index " + m.group(2) + "); xla4j reads the one-host layout tensorNNNNN_000");
        }
        out.add(p.getFileName().toString());
      }
    } catch (IOException e) {
      throw new CheckpointException("cannot list ckpt-0 directory " + ckpt0 + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** Whether {@code dir} holds a {@value #DIR} directory. */
  public static boolean isIn(Path dir) { return Files.isDirectory(dir.resolve(DIR)); }

}
