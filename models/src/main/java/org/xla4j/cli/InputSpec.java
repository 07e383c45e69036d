package org.xla4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.SafetensorsReader;
import org.xla4j.runtime.TensorInfo;

/**
 * One {@code --input NAME=FILE[#TENSOR]} value, the one syntax every command reads inputs with.
 * NAME ends at the first {@code '='}; TENSOR follows the last {@code '#'}, so tensor names may hold
 * {@code '/'}, {@code '.'} and {@code ':'}, and file names may hold {@code ':'}. Without
 * {@code #TENSOR} (or with an empty one: {@code NAME=my#file.safetensors#}, for a file whose name holds
 * {@code '#'}) the tensor is the one called NAME, else the file's only tensor. FILE may be a
 * safetensors file, a sharded checkpoint's index or its directory.
 *
 * <pre>{@code
 * q=inputs.safetensors                         tensor "q", or the file's only tensor
 * w=ckpt/model.safetensors.index.json#model.layers.0.self_attn/q_proj.weight
 * x=C:/data/run:3.safetensors#x                 a file name with ':'
 * }</pre>
 */
record InputSpec(String name, Path file, Optional<String> tensor) {
  /** The syntax as command help shows it. */
  static final String SYNTAX = "NAME=FILE[#TENSOR]";
  static final String HELP = "FILE is a .safetensors file (or a sharded checkpoint's index or directory); TENSOR, "
      + "after the last '#', is the tensor's name (it may contain '/', '.' and ':'); without it, the tensor named NAME "
      + "or the file's only tensor. A file whose name contains '#' takes a trailing '#': NAME=a#b.safetensors#";

  static InputSpec parse(String value) {
    int eq = value.indexOf('=');
    if (eq <= 0) throw syntax(value, "no NAME= before the file");
    String name = value.substring(0, eq);
    String rest = value.substring(eq + 1);
    int hash = rest.lastIndexOf('#');
    String file = hash < 0 ? rest : rest.substring(0, hash);
    String tensor = hash < 0 ? "" : rest.substring(hash + 1);
    if (file.isEmpty()) throw syntax(value, "no FILE after '" + name + "='");
    return new InputSpec(name, Path.of(file), tensor.isEmpty() ? Optional.empty() : Optional.of(tensor));
  }

  private static IllegalArgumentException syntax(String value, String why) {
    return new IllegalArgumentException("--input must look like " + SYNTAX + ", got '" + value + "': " + why);
  }

  /** "FILE#TENSOR" or "FILE", for messages. */
  String describe() { return file + tensor.map(t -> "#" + t).orElse(""); }

  /** The tensor, copied onto the heap (the file is closed on return). */
  HostTensor read() throws IOException {
    if (!Files.exists(file)) {
      String f = file.toString();
      int colon = f.lastIndexOf(':');
      String hint = colon > 0 && Files.isRegularFile(Path.of(f.substring(0, colon)))
          ? " (to name a tensor, write " + name + "=" + f.substring(0, colon) + "#" + f.substring(colon + 1) + ")" : "";
      throw new IllegalArgumentException("--input " + name + ": file not found: " + file + hint);
    }
    try (SafetensorsReader r = SafetensorsReader.open(file)) {
      if (tensor.isPresent()) {
        if (!r.contains(tensor.get())) {
          throw new IllegalArgumentException("--input " + name + ": " + file + " has no tensor '" + tensor.get() + "'; it has "
              + shortList(r.names()));
        }
        return r.copy(tensor.get());
      }
      if (r.contains(name)) return r.copy(name);
      List<TensorInfo> all = r.tensors();
      if (all.size() == 1) return r.copy(all.get(0).name());
      throw new IllegalArgumentException("--input " + name + ": " + file + " holds " + shortList(r.names())
          + "; name one with " + name + "=" + file + "#TENSOR");
    }
  }

  private static String shortList(List<String> names) {
    return names.size() <= 20 ? names.toString() : names.subList(0, 20) + " and " + (names.size() - 20) + " more";
  }
}
