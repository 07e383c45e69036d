package org.xla4j.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xla4j.checkpoint.CheckpointException;
import org.xla4j.types.DType;
import org.xla4j.types.TensorType;

/**
 * {@link NumpyPickle} on pickles that Python 3.11 with numpy 2.4 wrote ({@code pickle.dumps(array, protocol=N)},
 * the hex below), each checked for dtype, shape and the byte offset of the data (found with {@code bytes.find}).
 */
class NumpyPickleTest {
  @TempDir Path tmp;

  /** np.arange(3, dtype=np.int8), protocol 3: GLOBAL opcodes, data as SHORT_BINBYTES at byte 147. */
  static final String INT8_P3 = "8003636e756d70792e5f636f72652e6d756c746961727261790a5f7265636f6e7374727563740a7100636e756d70790a"
      + "6e6461727261790a71014b008571024301627103877104527105284b014b03857106636e756d70790a64747970650a71075802000000693171"
      + "08898887710952710a284b0358010000007c710b4e4e4e4affffffff4affffffff4b0074710c62894303000102710d74710e622e";
  /** The same, protocol 5: numpy._core.numeric._frombuffer with the data in-band as BYTEARRAY8 at byte 59. */
  static final String INT8_P5 = "80059577000000000000008c136e756d70792e5f636f72652e6e756d65726963948c0b5f66726f6d6275666665729493"
      + "9428960300000000000000000102948c056e756d7079948c0564747970659493948c02693194898887945294284b038c017c944e4e4e4aff"
      + "ffffff4affffffff4b007494624b0385948c014394749452942e";
  /** np.array([[1.5, -2], [3, 4]], np.float32), protocol 3: data at byte 149. */
  static final String F32_P3 = "8003636e756d70792e5f636f72652e6d756c746961727261790a5f7265636f6e7374727563740a7100636e756d70790a"
      + "6e6461727261790a71014b008571024301627103877104527105284b014b024b02867106636e756d70790a64747970650a710758020000006634"
      + "7108898887710952710a284b0358010000003c710b4e4e4e4affffffff4affffffff4b0074710c628943100000c03f000000c00000404000008040"
      + "710d74710e622e";
  /** np.asfortranarray(np.ones((2, 2), np.float32)), protocol 4. */
  static final String FORTRAN = "8004959b000000000000008c166e756d70792e5f636f72652e6d756c74696172726179948c0c5f7265636f6e737472"
      + "75637494939 48c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b024b02869468038c05647479706594"
      + "93948c02663494898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494628843100000803f0000803f0000803f0000803f94"
      + "7494622e";
  /** np.ones(2, '>f4'), protocol 4. */
  static final String BIG_ENDIAN = "80049591000000000000008c166e756d70792e5f636f72652e6d756c74696172726179948c0c5f7265636f6e7374"
      + "727563749493948c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b02859468038c0564747970659493"
      + "948c02663494898887945294284b038c013e944e4e4e4affffffff4affffffff4b007494628943083f8000003f800000947494622e";
  /** np.array([1, None], dtype=object), protocol 4. */
  static final String OBJECTS = "8004958d000000000000008c166e756d70792e5f636f72652e6d756c74696172726179948c0c5f7265636f6e737472"
      + "75637494939 48c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b02859468038c0564747970659493"
      + "948c024f3894898887945294284b038c017c944e4e4e4affffffff4affffffff4b3f749462895d94284b014e657494622e";

  private Path file(String hex) throws IOException {
    Path f = Files.createTempFile(tmp, "tensor", "_000");
    Files.write(f, HexFormat.of().parseHex(hex.replace(" ", "")));
    return f;
  }

  @Test
  void protocol3ArrayIsItsDataRange() throws IOException {
    assertEquals(new PickledLeaf.Array(TensorType.of(DType.I8, 3), 147), NumpyPickle.read(file(INT8_P3)));
    assertEquals(new PickledLeaf.Array(TensorType.of(DType.F32, 2, 2), 149), NumpyPickle.read(file(F32_P3)));
  }

  @Test
  void protocol5FromBuffer() throws IOException {
    assertEquals(new PickledLeaf.Array(TensorType.of(DType.I8, 3), 59), NumpyPickle.read(file(INT8_P5)));
  }

  /** numpy 1.x (Grok-1's time) names the module numpy.core.multiarray; the same pickle with that name reads alike. */
  @Test
  void numpyOneModuleName() throws IOException {
    String hex1 = INT8_P3.replace(hex("numpy._core.multiarray"), hex("numpy.core.multiarray"));
    assertEquals(new PickledLeaf.Array(TensorType.of(DType.I8, 3), 146), NumpyPickle.read(file(hex1)));
  }

  @Test
  void refusesWhatIsNotAPlainLittleEndianCArray() throws IOException {
    assertMessage(FORTRAN, "Fortran-ordered");
    assertMessage(BIG_ENDIAN, "big-endian");
    assertMessage(OBJECTS, "numpy dtype 'O8' has no xla4j DType");
    // protocol 4: STACK_GLOBAL os.system, then STOP
    assertMessage("80048c026f73948c0673797374656d94932e", "refers to the Python global os.system");
    assertMessage("80044b012e", "holds a Integer, not a numpy array");
  }

  private void assertMessage(String hex, String part) throws IOException {
    Path f = file(hex);
    CheckpointException e = assertThrows(CheckpointException.class, () -> NumpyPickle.read(f));
    assertTrue(e.getMessage().contains(part) && e.getMessage().contains(f.toString()), e.getMessage());
  }

  private static String hex(String s) { return HexFormat.of().formatHex(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII)); }
}
