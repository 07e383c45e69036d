package org.xla4j.backends;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xla4j.cli.TinyCheckpoints;
import org.xla4j.runtime.HostTensor;
import org.xla4j.runtime.Safetensors;

/**
 * {@code xla4j logits --backend pjrt} on the tiny Grok-1 HF directories (bf16 and int8), against the numpy
 * fixture's logits with the CPU tests' bf16 tolerance (TinyCheckpoints.assertGrokClose). Skipped, with the reason,
 * where no PJRT plugin is found (the GPU machine runs it).
 */
class LogitsPjrtTest {
  @TempDir
  Path tmp;

  @ParameterizedTest(name = "{0} --moe {1} --quant {2}")
  @CsvSource({"bf16, dense, -", "bf16, dropless, -", "bf16, capacity, -", "int8, dense, dequantize",
      "int8, few-tokens, scale-after", "int8, dropless, dequantize"})
  void grokLogitsOnThePluginMatchNumpy(String format, String moe, String quant) throws IOException {
    BackendUnderTest.pjrtOrSkip();
    boolean int8 = format.equals("int8");
    Path dir = TinyCheckpoints.grokHf(tmp.resolve(format), int8);
    Path out = tmp.resolve("logits.safetensors");
    List<String> a = new ArrayList<>(List.of("logits", "--model", dir.toString(), "--backend", "pjrt", "--moe", moe,
        "--output", out.toString()));
    if (moe.equals("capacity")) a.addAll(List.of("--capacity-factor", "4")); // nothing dropped
    if (!quant.equals("-")) a.addAll(List.of("--quant", quant));
    a.addAll(List.of(TinyCheckpoints.tokenOptions(TinyCheckpoints.grokIo("tokens"))));
    TinyCheckpoints.Run r = TinyCheckpoints.cli(a);
    assertEquals(0, r.rc(), r.err());
    HostTensor got = Safetensors.read(out, "logits");
    TinyCheckpoints.assertGrokClose(format + " " + moe + " on pjrt", TinyCheckpoints.grokIo(int8 ? "logits_int8" : "logits_bf16"),
        got);
  }
}
