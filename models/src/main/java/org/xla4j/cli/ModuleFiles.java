package org.xla4j.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the module files the CLI takes, saying what a wrong file is not and what was expected, instead of
 * a decoder's "Input length = 3".
 */
final class ModuleFiles {
  private static final String EXPECTED = "expected StableHLO text (MLIR, as JAX's export or xla4j emit "
      + "writes it) or a .x4j compiled-program artifact written by xla4j compile";

  private ModuleFiles() {}

  /** A StableHLO text module: UTF-8 text without NUL characters. */
  static String readText(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    try {
      var r = d.decode(in, out, true);
      if (r.isError()) r.throwException();
      r = d.flush(out);
      if (r.isError()) r.throwException();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(file + " is not a StableHLO text module: byte " + in.position()
          + " is not UTF-8 text; " + EXPECTED);
    }
    String text = out.flip().toString();
    int nul = text.indexOf('\0');
    if (nul >= 0) {
      throw new IllegalArgumentException(file + " is not a StableHLO text module: it holds a NUL character at "
          + "character " + nul + " (binary data); " + EXPECTED);
    }
    return text;
  }

  /**
   * Refuses a file named {@code *.x4j} that lacks the artifact's file identifier, before it is read as
   * text (random bytes would otherwise fail as "not UTF-8").
   */
  static void checkArtifactName(Path file, boolean isArtifact) {
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    if (name.endsWith(".x4j") && !isArtifact) {
      throw new IllegalArgumentException(file + " is not a .x4j compiled-program artifact: bytes 4-7 are not its "
          + "'X4J1' file identifier; expected a file written by xla4j compile (compile it again if it was damaged)");
    }
  }
}
