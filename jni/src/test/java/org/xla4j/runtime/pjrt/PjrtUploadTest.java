package org.xla4j.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.checkpoint.CheckpointMap;
import org.xla4j.checkpoint.CheckpointRule;
import org.xla4j.checkpoint.CheckpointTensor;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.DmaMapping;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.runtime.SafetensorsReader;
import org.xla4j.runtime.XlaException;
import org.xla4j.tree.Tree;
import org.xla4j.types.DType;
import org.xla4j.types.Shape;
import org.xla4j.types.TensorType;

/** Uploads straight from mapped and DMA-registered memory; runs where a PJRT plugin is, skipped elsewhere. */
class PjrtUploadTest {
  private static PjrtBackend backend;
  @TempDir Path dir;

  @BeforeEach
  void open() {
    if (backend == null) backend = PjrtTestSupport.openOrSkip();
  }

  @AfterAll
  static void close() {
    if (backend != null) backend.close();
  }

  /** 3 MiB + 4 of f32 (above the 1 MiB in-place threshold), and a small one. */
  private Path file() throws IOException {
    float[] v = new float[(3 << 18) + 1];
    Random r = new Random(3);
    for (int i = 0; i < v.length; i++) v[i] = r.nextFloat();
    Path f = dir.resolve("w.safetensors");
    Safetensors.write(f, Map.of("big", HostTensor.of(v, v.length), "small", HostTensor.of(new float[] {1, 2, 3, 4}, 2, 2)));
    return f;
  }

  @Test
  void uploadsAMappedViewInPlaceAndTheFileMayCloseAfterwards() throws IOException {
    Path f = file();
    HostTensor copy;
    DeviceBuffer d;
    try (SafetensorsReader r = SafetensorsReader.open(f)) {
      HostTensor view = r.read("big");
      assertTrue(view.isNative());
      copy = r.copy("big");
      d = backend.toDevice(view);
    }
    try (d) {
      assertEquals(copy, d.toHost(), "the device copy does not depend on the unmapped file");
    }
  }

  @Test
  void uploadsSeveralViewsInFlightTogether() throws IOException {
    Path f = file();
    try (SafetensorsReader r = SafetensorsReader.open(f)) {
      List<HostTensor> in = List.of(r.read("big"), r.read("small"), HostTensor.of(new float[] {5}, 1));
      List<DeviceBuffer> out = backend.toDevice(in, backend.devices().get(0));
      for (int i = 0; i < in.size(); i++) {
        try (DeviceBuffer d = out.get(i)) {
          assertEquals(in.get(i), d.toHost(), "tensor " + i);
        }
      }
    }
  }

  @Test
  void dmaMappedStagingBufferUploads() {
    long n = 4L << 20;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment staging = PjrtHostMemory.allocate(n, arena);
      for (long i = 0; i < n; i += 4) staging.set(ValueLayout.JAVA_INT_UNALIGNED, i, (int) (i * 2654435761L));
      Optional<DmaMapping> m = backend.dmaMap(staging);
      System.out.println("[pjrt] DmaMap of host memory: " + (m.isPresent() ? "registered" : "plugin has no PJRT_Client_DmaMap"));
      try (DmaMapping ignored = m.orElse(null)) {
        HostTensor t = HostTensor.view(new TensorType(DType.I32, Shape.of(n / 4)), staging, null);
        try (DeviceBuffer d = backend.toDevice(t)) {
          assertArrayEquals(t.toIntArray(), d.toHost().toIntArray());
        }
      }
    }
  }

  @Test
  void dmaMappedFileUploadsOrIsRefusedWithTheReason() throws IOException {
    Path f = file();
    try (SafetensorsReader r = SafetensorsReader.open(f)) {
      Optional<DmaMapping> m;
      try {
        m = backend.dmaMap(r.fileSegment(f));
      } catch (XlaException e) {
        System.out.println("[pjrt] DmaMap of a read-only file mapping refused: " + e.getMessage());
        return; // a plugin may refuse to pin read-only pages; the staged path covers that
      }
      try (DmaMapping ignored = m.orElse(null)) {
        try (DeviceBuffer d = backend.toDevice(r.read("big"))) {
          assertEquals(r.copy("big"), d.toHost());
        }
      }
    }
  }

  @Test
  void checkpointLeavesUploadDirectAndTransposed() throws IOException {
    Path f = dir.resolve("ckpt.safetensors");
    Safetensors.write(f, Map.of("l.0.w", HostTensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)));
    CheckpointMap map = CheckpointMap.of(CheckpointRule.of("l\\.(\\d+)\\.w", "layer_$1/w").transposed());
    try (SafetensorsReader r = SafetensorsReader.open(f)) {
      Tree<CheckpointTensor> t = map.apply(r);
      try (DeviceBuffer d = t.get("layer_0/w").toDevice(backend, backend.devices().get(0));
           DeviceBuffer s = CheckpointMap.upload(t, backend, backend.devices().get(0)).get("layer_0/w")) {
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, d.toHost().toFloatArray());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, s.toHost().toFloatArray());
      }
    }
  }

  @Test
  void stagedUploaderPipelinesThroughPinnedBuffers() throws IOException {
    Path f = file();
    try (SafetensorsReader r = SafetensorsReader.open(f);
         org.xla4j.runtime.StagedUploader up = org.xla4j.runtime.StagedUploader.open(backend, backend.devices().get(0), 1L << 20, 2)) {
      System.out.println("[pjrt] staging buffers pinned: " + up.pinned());
      HostTensor big = r.read("big"), small = r.read("small");
      HostTensor mid = HostTensor.of(new float[1 << 17], 1 << 17); // 512 KiB, heap
      List<DeviceBuffer> out = up.upload(List.of(org.xla4j.runtime.StagedUploader.Source.copy(big),
          org.xla4j.runtime.StagedUploader.Source.copy(small), org.xla4j.runtime.StagedUploader.Source.copy(mid)));
      assertEquals(r.copy("big"), out.get(0).toHost());
      assertEquals(r.copy("small"), out.get(1).toHost());
      assertEquals(mid, out.get(2).toHost());
      out.forEach(DeviceBuffer::close);
    }
  }
}
