package org.xla4j.runtime;

import java.nio.file.Path;
import java.util.Objects;
import org.xla4j.types.TensorType;

/**
 * Where one checkpoint tensor lies: its name, type, file and byte range in that file (absolute
 * offsets, so {@code [offset, offset + byteSize)} of {@code file}). Read from the header only.
 *
 * <pre>{@code
 * try (SafetensorsReader r = SafetensorsReader.open(dir)) {
 *   for (TensorInfo t : r.tensors()) System.out.println(t);  // name: bf16[4096,4096] in file @ bytes [a, b)
 * }
 * }</pre>
 */
public record TensorInfo(String name, TensorType type, Path file, long offset, long byteSize) {
  public TensorInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(file, "file");
    if (offset < 0 || byteSize != type.byteSize()) {
      throw new IllegalArgumentException("tensor '" + name + "': " + type + " needs " + type.byteSize()
          + " bytes, given " + byteSize + " at offset " + offset);
    }
  }

  /** One past the last byte. */
  public long end() { return offset + byteSize; }

  @Override
  public String toString() {
    return name + ": " + type + " in " + file + " @ bytes [" + offset + ", " + end() + ")";
  }
}
