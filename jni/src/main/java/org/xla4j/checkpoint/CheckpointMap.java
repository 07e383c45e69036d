package org.xla4j.checkpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.SafetensorsReader;
import org.xla4j.runtime.StagedUploader;
import org.xla4j.runtime.TensorInfo;
import org.xla4j.tree.Tree;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/**
 * How a checkpoint's tensor names become a parameter tree, as data: an ordered list of
 * {@link CheckpointRule}s (first match wins). {@link #apply} turns an open checkpoint into a
 * {@code Tree<CheckpointTensor>} of lazily read leaves, refusing a checkpoint tensor that no rule
 * matches, two tensors landing on one path, and stacks with missing or mismatched members; with the
 * expected tree it also refuses missing paths, extra paths and wrong types, naming the tensor, its file
 * and both types.
 *
 * <pre>{@code
 * CheckpointMap map = CheckpointMap.of(
 *     CheckpointRule.of("model\\.embed_tokens\\.weight", "language_model/in_out_embed/embeddings"),
 *     CheckpointRule.of("model\\.layers\\.(\\d+)\\.self_attn\\.q_proj\\.weight",
 *         "transformer/decoder_layer_$1/multi_head_attention/query/w").transposed(),
 *     CheckpointRule.of("model\\.layers\\.(\\d+)\\.moe\\.(?<stack>\\d+)\\.linear\\.weight",
 *         "transformer/decoder_layer_$1/moe/linear/w").transposed().stacked(),      // [E, in, out]
 *     CheckpointRule.ignore(".*\\.rotary_emb\\.inv_freq"));
 * try (SafetensorsReader ckpt = SafetensorsReader.open(dir)) {
 *   Tree<CheckpointTensor> params = map.apply(ckpt, model.parameterTypes());
 *   Tree<DeviceBuffer> weights = CheckpointMap.upload(params, backend, device);   // pinned, overlapped
 * }
 * }</pre>
 *
 * @param rules in priority order
 */
public record CheckpointMap(List<CheckpointRule> rules) {
  public CheckpointMap {
    rules = List.copyOf(rules);
  }

  public static CheckpointMap of(CheckpointRule... rules) { return new CheckpointMap(List.of(rules)); }

  /** The identity map: every tensor name is its own path (a name with '/' makes nested paths). */
  public static CheckpointMap identity() { return of(CheckpointRule.of("(.*)", "$1")); }

  /** This map's rules followed by {@code more} (which match only what these do not). */
  public CheckpointMap then(CheckpointRule... more) {
    List<CheckpointRule> r = new ArrayList<>(rules);
    r.addAll(List.of(more));
    return new CheckpointMap(r);
  }

  /** The first rule matching a checkpoint name, with its match. */
  private Optional<Map.Entry<CheckpointRule, Matcher>> rule(String name) {
    for (CheckpointRule r : rules) {
      Optional<Matcher> m = r.match(name);
      if (m.isPresent()) return Optional.of(Map.entry(r, m.get()));
    }
    return Optional.empty();
  }

  /** Where one checkpoint tensor goes: its tree path, or empty when an ignore rule matches it. */
  public Optional<String> pathOf(String checkpointName) {
    var hit = rule(checkpointName).orElseThrow(() -> new IllegalArgumentException(
        "checkpoint tensor '" + checkpointName + "' matches no rule of " + this));
    return hit.getKey().path().isEmpty() ? Optional.empty() : Optional.of(hit.getKey().pathOf(hit.getValue()));
  }

  /**
   * Every checkpoint tensor as a lazily read leaf, by path. Throws {@link CheckpointException} when a
   * tensor matches no rule, two unstacked tensors map to one path, or a stack's members disagree.
   */
  public Tree<CheckpointTensor> apply(SafetensorsReader reader) {
    record Member(long index, TensorInfo info) {}
    record Group(CheckpointRule rule, List<Member> members) {}
    Map<String, Group> groups = new LinkedHashMap<>();
    List<String> unmatched = new ArrayList<>();
    for (TensorInfo t : reader.tensors()) {
      var hit = rule(t.name());
      if (hit.isEmpty()) {
        unmatched.add("'" + t.name() + "' (" + t.type() + " in " + t.file() + ")");
        continue;
      }
      CheckpointRule r = hit.get().getKey();
      if (r.path().isEmpty()) continue;
      Matcher m = hit.get().getValue();
      String path = r.pathOf(m);
      Group g = groups.computeIfAbsent(path, p -> new Group(r, new ArrayList<>()));
      if (g.rule != r) {
        throw new CheckpointException("checkpoint tensors '" + g.members.get(0).info.name() + "' (rule " + g.rule + ") and '"
            + t.name() + "' (rule " + r + ") both map to path '" + path + "'");
      }
      long index = r.stack() ? Long.parseLong(m.group(CheckpointRule.STACK)) : 0;
      if (!r.stack() && !g.members.isEmpty()) {
        Member first = g.members.get(0);
        throw new CheckpointException("checkpoint tensors '" + first.info.name() + "' in " + first.info.file() + " and '"
            + t.name() + "' in " + t.file() + " both map to path '" + path + "' (rule " + r + "); stack them with "
            + "a (?<stack>...) group and .stacked(), or map them apart");
      }
      g.members.add(new Member(index, t));
    }
    if (!unmatched.isEmpty()) {
      throw new CheckpointException(unmatched.size() + " checkpoint tensor(s) of " + reader.source() + " match no rule: "
          + shortList(unmatched) + "; add a rule for them, or CheckpointRule.ignore(...)\n  rules: " + rules);
    }
    Tree.Builder<CheckpointTensor> out = Tree.builder();
    for (Map.Entry<String, Group> e : groups.entrySet()) {
      out.put(e.getKey(), leaf(e.getKey(), e.getValue().rule, e.getValue().members.stream()
          .map(mm -> Map.entry(mm.index, mm.info)).toList(), reader));
    }
    return out.build();
  }

  private static CheckpointTensor leaf(String path, CheckpointRule r, List<Map.Entry<Long, TensorInfo>> members,
      SafetensorsReader reader) {
    TreeMap<Long, TensorInfo> byIndex = new TreeMap<>();
    for (var m : members) {
      TensorInfo before = byIndex.put(m.getKey(), m.getValue());
      if (before != null) {
        throw new CheckpointException("path '" + path + "': checkpoint tensors '" + before.name() + "' and '"
            + m.getValue().name() + "' both have stack index " + m.getKey());
      }
    }
    List<TensorInfo> sources = List.copyOf(byIndex.values());
    TensorInfo first = sources.get(0);
    if (r.stack()) {
      long expect = 0;
      for (var e : byIndex.entrySet()) {
        if (e.getKey() != expect) {
          throw new CheckpointException("path '" + path + "': stacked tensors have indices " + byIndex.keySet()
              + "; index " + expect + " is missing (expected 0.." + (byIndex.size() - 1) + ", e.g. like '" + first.name() + "')");
        }
        expect++;
        if (!e.getValue().type().equals(first.type())) {
          throw new CheckpointException("path '" + path + "': stacked tensor '" + e.getValue().name() + "' in "
              + e.getValue().file() + " is " + e.getValue().type() + ", but '" + first.name() + "' in " + first.file()
              + " is " + first.type());
        }
      }
    }
    long[] dims = first.type().shape().dims();
    if (!r.transpose().isEmpty()) {
      int[] perm = r.permutation();
      if (perm.length != dims.length) {
        throw new CheckpointException("path '" + path + "': rule " + r + " transposes " + perm.length + " axes, but checkpoint "
            + "tensor '" + first.name() + "' in " + first.file() + " is " + first.type());
      }
      dims = Permute.dims(dims, perm);
    }
    if (r.stack()) {
      long[] s = new long[dims.length + 1];
      s[0] = sources.size();
      System.arraycopy(dims, 0, s, 1, dims.length);
      dims = s;
    }
    TensorType type = new TensorType(first.type().dtype(), Shape.of(dims));
    return new CheckpointTensor(path, type, sources, r.transpose(), r.stack(), reader);
  }

  /**
   * {@link #apply(SafetensorsReader)}, checked against the tree the model expects: every expected path
   * present with exactly its type, and no other. Errors name each offending path, the checkpoint tensor
   * and file it came from, and both types.
   */
  public Tree<CheckpointTensor> apply(SafetensorsReader reader, Tree<TensorType> expected) {
    Tree<CheckpointTensor> got = apply(reader);
    List<String> problems = new ArrayList<>();
    for (Tree.Leaf<TensorType> want : expected) {
      Optional<CheckpointTensor> have = got.find(want.path());
      if (have.isEmpty()) {
        problems.add("missing: path '" + want.path() + "' (" + want.value() + ") has no checkpoint tensor");
      } else if (!have.get().type().equals(want.value())) {
        CheckpointTensor c = have.get();
        TensorInfo src = c.sources().get(0);
        problems.add("wrong type: path '" + want.path() + "' expects " + want.value() + ", checkpoint tensor '" + src.name()
            + "' in " + src.file() + " gives " + c.type() + (c.isDirect() ? "" : " (stored as " + src.type()
            + (c.transpose().isEmpty() ? "" : ", transposed " + c.transpose()) + (c.stacked() ? ", " + c.sources().size()
            + " stacked" : "") + ")"));
      }
    }
    for (Tree.Leaf<CheckpointTensor> leaf : got) {
      if (!expected.contains(leaf.path())) {
        TensorInfo src = leaf.value().sources().get(0);
        problems.add("extra: checkpoint tensor '" + src.name() + "' in " + src.file() + " (" + leaf.value().type()
            + ") maps to path '" + leaf.path() + "', which the model does not have");
      }
    }
    if (!problems.isEmpty()) {
      throw new CheckpointException("checkpoint " + reader.source() + " does not fit the model's parameters ("
          + problems.size() + " problem(s)):\n  " + String.join("\n  ", problems.subList(0, Math.min(50, problems.size())))
          + (problems.size() > 50 ? "\n  ... and " + (problems.size() - 50) + " more" : ""));
    }
    return got;
  }

  /**
   * Uploads every leaf to {@code device} by {@link CheckpointUpload} ({@link CheckpointUpload.Policy#AUTO}):
   * large shard files from a DMA-registered copy-on-write mapping with all transfers in flight, the rest
   * (and everything on a backend without DMA mapping) through a {@link StagedUploader}. Returns once
   * every buffer is ready; on failure nothing stays allocated and the error names the file.
   *
   * <pre>{@code
   * Tree<DeviceBuffer> weights = CheckpointMap.upload(map.apply(ckpt, expected), backend, backend.devices().get(0));
   * }</pre>
   */
  public static Tree<DeviceBuffer> upload(Tree<CheckpointTensor> leaves, Backend backend, Device device) {
    return CheckpointUpload.upload(leaves, backend, device, CheckpointUpload.Policy.AUTO).buffers();
  }

  private static String shortList(List<String> items) {
    return items.size() <= 10 ? items.toString() : items.subList(0, 10) + " and " + (items.size() - 10) + " more";
  }

  @Override
  public String toString() { return "CheckpointMap" + Arrays.toString(rules.toArray()); }
}
