package org.xla4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xla4j.types.StableHloVersion;

class PlatformTest {
  @Test
  void parsesTheNamesPluginsReport() {
    assertEquals(Platform.CPU, Platform.parse("cpu"));
    assertEquals(Platform.CPU, Platform.parse("Host"));
    assertEquals(Platform.CUDA, Platform.parse("cuda"));
    assertEquals(Platform.CUDA, Platform.parse("gpu")); // the CUDA plugin's older name
    assertEquals(Platform.ROCM, Platform.parse("ROCM"));
    assertEquals(Platform.TPU, Platform.parse("tpu"));
    assertEquals(Platform.OTHER, Platform.parse("METAL"));
    assertEquals(Platform.OTHER, Platform.parse(null));
  }

  @Test
  void targetsMatchAsTheCompileCommandDocuments() {
    assertTrue(Platform.CUDA.matches("any"));
    assertTrue(Platform.OTHER.matches("any"));
    assertTrue(Platform.CUDA.matches("gpu"));
    assertTrue(Platform.ROCM.matches("gpu"));
    assertFalse(Platform.CPU.matches("gpu"));
    assertTrue(Platform.CUDA.matches("CUDA"));
    assertFalse(Platform.ROCM.matches("cuda"));
    assertFalse(Platform.TPU.matches("cpu"));
    assertFalse(Platform.OTHER.matches("metal")); // two unknown plugins need not be alike
  }

  @Test
  void stableHloVersionAttributeReadsInBothForms() {
    assertEquals(StableHloVersion.of(1, 9, 3),
        Backend.versionAttribute(Map.of("v", List.of(1L, 9L, 3L)), "v").orElseThrow());
    assertEquals(StableHloVersion.of(1, 8, 0), Backend.versionAttribute(Map.of("v", "1.8"), "v").orElseThrow());
    assertTrue(Backend.versionAttribute(Map.of("v", "one"), "v").isEmpty());
    assertTrue(Backend.versionAttribute(Map.of("v", 7L), "v").isEmpty());
    assertTrue(Backend.versionAttribute(Map.of(), "v").isEmpty());
  }
}
