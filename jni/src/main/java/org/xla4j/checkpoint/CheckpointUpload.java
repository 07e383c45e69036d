package org.xla4j.checkpoint;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.xla4j.runtime.Backend;
import org.xla4j.runtime.Device;
import org.xla4j.runtime.DeviceBuffer;
import org.xla4j.runtime.DmaMapping;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.SafetensorsReader;
import org.xla4j.runtime.StagedUploader;
import org.xla4j.runtime.TensorInfo;
import org.xla4j.tree.Tree;

/**
 * Loads a checkpoint's leaves onto a device by the fastest route per shard file. A file whose direct
 * leaves (stored as used: no transpose, no stack) add up to {@link #DMA_MIN_FILE_BYTES} or more is
 * mapped copy-on-write, registered once for DMA ({@link Backend#dmaMap}), all its tensors are
 * uploaded from the registered mapping with their transfers in flight together, and the mapping is
 * unregistered once every transfer is done with it. Everything else (small files, transposed or
 * stacked leaves, a backend without DMA mapping or one that refuses it) goes through a
 * {@link StagedUploader}; why a file fell back is logged once and reported in {@link Result#files()}.
 * Returns once every buffer is ready on the device.
 *
 * <pre>{@code
 * CheckpointUpload.Result r = CheckpointUpload.upload(map.apply(ckpt, expected), backend, device, Policy.AUTO);
 * Tree<DeviceBuffer> weights = r.buffers();
 * r.files().forEach(f -> System.out.println(f.file() + ": " + f.route()));
 * }</pre>
 */
public final class CheckpointUpload {
  /**
   * Smallest file (bytes of its direct leaves) worth registering for DMA under {@link Policy#AUTO}:
   * never, as measured. From an already-registered mapping the H200 reads 50-53 GB/s
   * (bench/results/issues7-8-h200-2026-12-02.md), but a one-shot checkpoint load pays the registration
   * (the kernel copies and pins each copy-on-write page): 4 GiB in 2 files took 3.6-3.9 s cold and
   * 1.9-2.4 s warm by DMA (1.0-2.2 GB/s), against 3.1 s cold and 0.64-0.95 s warm staged (1.4 and
   * 4.5-6.8 GB/s); 0.55 GiB: DMA 0.39 s, staged 0.11 s (bench/results/checkpoint-upload-h200-2026-12-02.md,
   * {@code scripts/device-round3.sh upload_checkpoint}). {@link Policy#DMA} still forces the route, for
   * memory that stays registered across loads.
   */
  public static final long DMA_MIN_FILE_BYTES = Long.MAX_VALUE;

  /** Largest staging buffer of the fallback pipeline (two of them; larger leaves go on their own). */
  public static final long STAGING_MAX_BYTES = 512L << 20;

  private static final System.Logger LOG = System.getLogger(CheckpointUpload.class.getName());
  private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

  /** How a file's tensors reached the device. */
  public enum Route { DMA_MAPPED, STAGED }

  /** Which route to prefer: by size ({@code AUTO}), DMA wherever the backend allows it, or always staged. */
  public enum Policy { AUTO, DMA, STAGED }

  /**
   * One shard file: the bytes uploaded from it, the route, why it was staged (empty for DMA), the
   * nanoseconds spent registering it for DMA (0 when staged) and in all (mapping, registering,
   * transfers, unregistering).
   */
  public record FileReport(Path file, long bytes, int tensors, Route route, String why, long registerNanos, long nanos) {
    public FileReport {
      Objects.requireNonNull(file);
      Objects.requireNonNull(route);
      Objects.requireNonNull(why);
    }
  }

  /** The uploaded tree and one report per shard file, in the order the files were first met. */
  public record Result(Tree<DeviceBuffer> buffers, List<FileReport> files) {
    public Result {
      Objects.requireNonNull(buffers);
      files = List.copyOf(files);
    }

    /** Total bytes uploaded. */
    public long bytes() { return files.stream().mapToLong(FileReport::bytes).sum(); }
  }

  private CheckpointUpload() {}

  /**
   * The route a file of {@code directBytes} bytes of direct leaves asks for under {@code policy},
   * before the backend has had its say ({@link Route#DMA_MAPPED} may still fall back).
   */
  public static Route choose(long directBytes, Policy policy) {
    return switch (policy) {
      case STAGED -> Route.STAGED;
      case DMA -> directBytes > 0 ? Route.DMA_MAPPED : Route.STAGED;
      case AUTO -> directBytes >= DMA_MIN_FILE_BYTES ? Route.DMA_MAPPED : Route.STAGED;
    };
  }

  /**
   * Uploads every leaf to {@code device}; on failure nothing stays allocated and the error names the
   * shard file.
   */
  public static Result upload(Tree<CheckpointTensor> leaves, Backend backend, Device device, Policy policy) {
    Objects.requireNonNull(backend);
    Objects.requireNonNull(device);
    Objects.requireNonNull(policy);
    if (leaves.isEmpty()) return new Result(Tree.empty(), List.of());
    List<CheckpointTensor> all = leaves.leaves();
    DeviceBuffer[] out = new DeviceBuffer[all.size()];
    Map<Path, List<Integer>> byFile = new LinkedHashMap<>();
    for (int i = 0; i < all.size(); i++) {
      byFile.computeIfAbsent(all.get(i).sources().get(0).file(), f -> new ArrayList<>()).add(i);
    }
    List<FileReport> reports = new ArrayList<>();
    String dmaOff = null; // once the backend lacks or refuses DMA mapping, later files do not retry
    StagedUploader staged = null;
    try {
      for (var e : byFile.entrySet()) {
        Path file = e.getKey();
        List<Integer> direct = e.getValue().stream().filter(i -> all.get(i).isDirect()).toList();
        List<Integer> rest = new ArrayList<>(e.getValue().stream().filter(i -> !all.get(i).isDirect()).toList());
        long directBytes = direct.stream().mapToLong(i -> all.get(i).type().byteSize()).sum();
        long bytes = e.getValue().stream().mapToLong(i -> all.get(i).type().byteSize()).sum();
        long t0 = System.nanoTime();
        long[] register = {0};
        String why;
        if (choose(directBytes, policy) == Route.STAGED) {
          why = policy == Policy.STAGED ? "policy STAGED"
              : directBytes == 0 ? "no leaf stored as used (transposed or stacked)"
              : "direct leaves " + directBytes + " bytes < DMA_MIN_FILE_BYTES " + DMA_MIN_FILE_BYTES;
          rest.addAll(direct);
        } else if (dmaOff != null) {
          why = dmaOff;
          rest.addAll(direct);
        } else {
          try {
            why = uploadMapped(file, direct, all, out, backend, device, register);
          } catch (DmaRefused r) {
            why = dmaOff = r.getMessage();
            logOnce(why);
          }
          if (why != null) rest.addAll(direct);
        }
        if (!rest.isEmpty()) {
          rest.sort(null);
          if (staged == null) staged = openStaged(all, backend, device);
          stagedUpload(file, rest, all, out, staged);
        }
        reports.add(new FileReport(file, bytes, e.getValue().size(), why == null ? Route.DMA_MAPPED : Route.STAGED,
            why == null ? "" : why, why == null ? register[0] : 0, System.nanoTime() - t0));
      }
      for (int i = 0; i < out.length; i++) {
        try {
          out[i].awaitReady();
        } catch (RuntimeException ex) {
          throw new CheckpointException("uploading " + all.get(i).sources().get(0).file() + ": tensor "
              + all.get(i).sources().get(0).name() + " failed on the device: " + ex.getMessage(), ex);
        }
      }
    } catch (RuntimeException ex) {
      for (DeviceBuffer b : out) if (b != null) b.close();
      throw ex;
    } finally {
      if (staged != null) staged.close();
    }
    return new Result(Tree.unflatten(leaves.paths(), Arrays.asList(out)), reports);
  }

  /** The backend has no DMA mapping, or refused one: every later file is staged too. */
  private static final class DmaRefused extends Exception {
    DmaRefused(String message) { super(message, null, false, false); }
  }

  /**
   * Uploads the direct leaves {@code idx} of {@code file} from a registered copy-on-write mapping.
   * Returns null when done, or why the file must be staged instead (it could not be mapped so).
   */
  private static String uploadMapped(Path file, List<Integer> idx, List<CheckpointTensor> all, DeviceBuffer[] out,
      Backend backend, Device device, long[] registerNanos) throws DmaRefused {
    SafetensorsReader shared = all.get(idx.get(0)).reader();
    SafetensorsReader own = null;
    try {
      SafetensorsReader r = shared;
      if (shared.mapMode() != FileChannel.MapMode.PRIVATE) {
        // CUDA refuses to register a read-only mapping (CUDA_ERROR_INVALID_VALUE): map the shard copy-on-write
        try {
          own = SafetensorsReader.open(file, FileChannel.MapMode.PRIVATE);
          r = own;
        } catch (IOException | RuntimeException ex) {
          String why = "cannot map " + file + " copy-on-write (" + ex.getMessage() + ")";
          logOnce(why);
          return why;
        }
      }
      List<HostTensor> views = new ArrayList<>(idx.size());
      for (int i : idx) {
        TensorInfo want = all.get(i).sources().get(0);
        TensorInfo got = r.info(want.name());
        if (!got.type().equals(want.type()) || got.offset() != want.offset()) {
          throw new CheckpointException("uploading " + file + ": tensor " + want.name() + " changed since it was opened ("
              + want + " -> " + got + ")");
        }
        views.add(r.read(got));
      }
      MemorySegment region = r.fileSegment(r == own ? own.files().get(0) : file);
      Optional<DmaMapping> mapping;
      long r0 = System.nanoTime();
      try {
        mapping = backend.dmaMap(region);
        registerNanos[0] = System.nanoTime() - r0;
      } catch (RuntimeException ex) {
        throw new DmaRefused(backend.platformName() + " refused to register " + file + " for DMA (" + ex.getMessage()
            + "); staging this and later files");
      }
      if (mapping.isEmpty()) {
        throw new DmaRefused(backend.platformName() + " has no DMA mapping (dmaMap is empty: no PJRT_Client_DmaMap); staging every file");
      }
      try (DmaMapping m = mapping.get()) {
        List<DeviceBuffer> bufs;
        try {
          // every transfer in flight together; returns once none reads the mapping, so unregistering is safe
          bufs = backend.toDevice(views, device);
        } catch (RuntimeException ex) {
          throw new CheckpointException("uploading " + file + " (" + idx.size() + " tensors, DMA-mapped) to " + device
              + " failed: " + ex.getMessage(), ex);
        }
        for (int k = 0; k < idx.size(); k++) out[idx.get(k)] = bufs.get(k);
      }
      return null;
    } finally {
      if (own != null) own.close(); // after the mapping is unregistered (try-with-resources above)
    }
  }

  private static StagedUploader openStaged(List<CheckpointTensor> all, Backend backend, Device device) {
    long largest = all.stream().mapToLong(t -> t.type().byteSize()).max().orElse(1);
    return StagedUploader.open(backend, device, Math.max(1, Math.min(largest, STAGING_MAX_BYTES)), 2);
  }

  private static void stagedUpload(Path file, List<Integer> idx, List<CheckpointTensor> all, DeviceBuffer[] out,
      StagedUploader staged) {
    List<DeviceBuffer> bufs;
    try {
      bufs = staged.upload(idx.stream().map(i -> all.get(i).source()).toList());
    } catch (RuntimeException ex) {
      throw new CheckpointException("uploading " + file + " (" + idx.size() + " tensors, staged) failed: "
          + ex.getMessage(), ex);
    }
    for (int k = 0; k < idx.size(); k++) out[idx.get(k)] = bufs.get(k);
  }

  private static void logOnce(String why) {
    if (LOGGED.add(why)) LOG.log(System.Logger.Level.INFO, "checkpoint upload falls back to staging: " + why);
  }
}
