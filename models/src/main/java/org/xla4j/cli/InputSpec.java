package org.xla4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.types.TensorType;

/**
 * One {@code --input NAME=FILE[:TENSOR]} value, as every command takes it: tensor TENSOR of the
 * safetensors FILE, else the tensor called NAME there, else the file's only tensor. A last colon
 * followed by a path separator belongs to the file name, not a tensor name.
 *
 * <pre>{@code
 * HostTensor q = InputSpec.parse("q=inputs.safetensors:query").read();
 * }</pre>
 */
record InputSpec(String name, Path file, String tensor) {
  static InputSpec parse(String s) {
    int eq = s.indexOf('=');
    if (eq <= 0) throw new IllegalArgumentException("--input must look like NAME=FILE.safetensors[:TENSOR], got '" + s + "'");
    String name = s.substring(0, eq);
    String rest = s.substring(eq + 1);
    int colon = rest.lastIndexOf(':');
    if (colon > 0 && !rest.substring(colon + 1).contains("/")) {
      return new InputSpec(name, Path.of(rest.substring(0, colon)), rest.substring(colon + 1));
    }
    return new InputSpec(name, Path.of(rest), null);
  }

  HostTensor read() throws IOException {
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--input " + name + ": file not found: " + file);
    if (tensor != null) return Safetensors.read(file, tensor);
    Map<String, TensorType> index = Safetensors.index(file);
    if (index.containsKey(name)) return Safetensors.read(file, name);
    if (index.size() == 1) return Safetensors.read(file, index.keySet().iterator().next());
    throw new IllegalArgumentException("--input " + name + ": " + file + " holds " + index.keySet()
        + "; name one with " + name + "=" + file + ":TENSOR");
  }
}
