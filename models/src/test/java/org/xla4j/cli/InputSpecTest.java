package org.xla4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;

/** The one {@code NAME=FILE[:TENSOR]} reader that {@code exec} and {@code attention run} share. */
class InputSpecTest {
  @Test
  void parsesTheThreeForms() {
    assertEquals(new InputSpec("q", Path.of("a.safetensors"), "query"), InputSpec.parse("q=a.safetensors:query"));
    assertEquals(new InputSpec("q", Path.of("a.safetensors"), null), InputSpec.parse("q=a.safetensors"));
    // a colon followed by a path belongs to the file name
    assertEquals(new InputSpec("k", Path.of("run:1/a.safetensors"), null), InputSpec.parse("k=run:1/a.safetensors"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InputSpec.parse("a.safetensors"));
    assertTrue(e.getMessage().contains("NAME=FILE.safetensors[:TENSOR]"), e.getMessage());
  }

  @Test
  void readsByTensorThenNameThenTheOnlyTensor(@TempDir Path tmp) throws Exception {
    Path two = tmp.resolve("two.safetensors");
    Map<String, HostTensor> m = new LinkedHashMap<>();
    m.put("q", HostTensor.of(new float[] {1, 2}, 2));
    m.put("other", HostTensor.of(new float[] {3, 4}, 2));
    Safetensors.write(two, m);
    Path one = tmp.resolve("one.safetensors");
    Safetensors.write(one, Map.of("w", HostTensor.of(new float[] {5}, 1)));
    assertArrayEquals(new float[] {3, 4}, InputSpec.parse("q=" + two + ":other").read().toFloatArray());
    assertArrayEquals(new float[] {1, 2}, InputSpec.parse("q=" + two).read().toFloatArray());
    assertArrayEquals(new float[] {5}, InputSpec.parse("v=" + one).read().toFloatArray());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InputSpec.parse("v=" + two).read());
    assertTrue(e.getMessage().contains("holds [q, other]") && e.getMessage().contains(":TENSOR"), e.getMessage());
  }
}
