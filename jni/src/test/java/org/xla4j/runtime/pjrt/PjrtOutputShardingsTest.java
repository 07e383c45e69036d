package org.xla4j.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xla4j.runtime.CompileOptions;
import org.xla4j.runtime.pjrt.proto.OpShardingProtos.OpSharding;
import org.xla4j.sharding.Sharding;

/**
 * On a real plugin (skipped without one, or when the plugin has no Shardings extension): external
 * one-device text that states no sharding gets its result sharding from the plugin, and that is
 * replicated (XLA reports {@code replicated} or {@code maximal device=0} for a one-device program).
 */
class PjrtOutputShardingsTest {
  private static final String ADD = PjrtTestSupport.binary("add", "tensor<4xf32>");

  @Test
  void oneDeviceExternalTextHasAReplicatedResultFromThePlugin() {
    try (PjrtBackend b = PjrtTestSupport.openOrSkip();
        PjrtExecutable exe = b.compileUncached(ADD, CompileOptions.defaults())) {
      var reported = exe.outputShardingProtos();
      assumeTrue(reported.isPresent(), "SKIPPED: the plugin does not report output shardings");
      List<byte[]> protos = reported.get();
      assertEquals(1, protos.size());
      OpSharding p = OpShardings.parse(protos.get(0), 0);
      assertTrue(p.getType() == OpSharding.Type.REPLICATED || p.getType() == OpSharding.Type.MAXIMAL, p.toString());
      assertNotNull(exe.resultShardings().get(0), "the plugin's sharding must replace the text's (none)");
      assertEquals(List.of(Sharding.replicated()), exe.resultShardings());
    }
  }
}
