package org.xla4j.models.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeSet;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;
import org.xla4j.types.DType;

/**
 * Training data as one stream of token ids, cut into batches of consecutive windows. From a
 * {@code .safetensors} file, its 1-D integer tensor {@code tokens} as is; from any other file, its bytes at the
 * character level (as nanoGPT's shakespeare_char): each distinct byte gets an id from 1 up in byte order, 0 stays
 * the pad id, so the text must have fewer distinct bytes than the model's vocabulary.
 *
 * <pre>{@code
 * TokenStream data = TokenStream.read(Path.of("input.txt"), 64);
 * Tree<HostTensor> b = Tree.of(Map.of("tokens", data.batch(step, 4, 32)));
 * }</pre>
 *
 * @param ids the stream
 * @param source how it was read, for messages
 */
public record TokenStream(int[] ids, String source) {

  /**
   * Reads {@code file} for a model of {@code vocab} ids.
   *
   * @throws IllegalArgumentException naming the file when it is too short, has too many distinct bytes, or
   *     holds an id outside the vocabulary
   */
  public static TokenStream read(Path file, int vocab) throws IOException {
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--data: no such file " + file);
    if (file.getFileName().toString().endsWith(".safetensors")) {
      HostTensor t = Safetensors.read(file, "tokens");
      if (t.type().rank() != 1 || !t.dtype().isInteger()) {
        throw new IllegalArgumentException("--data " + file + ": requires a 1-D integer tensor 'tokens', got " + t.type());
      }
      int[] ids = t.astype(DType.I32).toIntArray();
      for (int i = 0; i < ids.length; i++) {
        if (ids[i] < 0 || ids[i] >= vocab) {
          throw new IllegalArgumentException("--data " + file + ": token " + i + " is " + ids[i] + ", outside the model's"
              + " vocabulary [0, " + vocab + ")");
        }
      }
      return new TokenStream(ids, file + " (" + ids.length + " tokens)");
    }
    byte[] bytes = Files.readAllBytes(file);
    TreeSet<Integer> distinct = new TreeSet<>();
    for (byte b : bytes) distinct.add(b & 0xff);
    if (distinct.size() >= vocab) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "--data %s: %d distinct bytes, but the model's"
          + " vocabulary has %d ids and id 0 is the pad: at most %d distinct characters fit; use a smaller alphabet or a"
          + " .safetensors file of token ids", file, distinct.size(), vocab, vocab - 1));
    }
    int[] idOf = new int[256];
    int next = 1;
    for (int b : distinct) idOf[b] = next++;
    int[] ids = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) ids[i] = idOf[bytes[i] & 0xff];
    return new TokenStream(ids, file + " (" + ids.length + " characters, " + distinct.size() + " distinct -> ids 1.."
        + distinct.size() + ")");
  }

  /**
   * Batch {@code step}: {@code batch} windows of {@code seq} consecutive ids, window {@code w = step·batch + b}
   * starting at {@code (w·seq) mod (n - seq + 1)}, so successive steps walk through the data and wrap around.
   *
   * @throws IllegalArgumentException when the stream is shorter than one window
   */
  public HostTensor batch(int step, int batch, int seq) {
    int span = ids.length - seq + 1;
    if (span < 1) {
      throw new IllegalArgumentException("--data " + source + ": shorter than one sequence of --seq " + seq);
    }
    int[] out = new int[batch * seq];
    for (int b = 0; b < batch; b++) {
      long w = (long) step * batch + b;
      int start = (int) ((w * seq) % span);
      System.arraycopy(ids, start, out, b * seq, seq);
    }
    return HostTensor.ofInts(out, batch, seq);
  }
}
