package org.xla4j.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;
import org.xla4j.runtime.XlaException;

/**
 * A host allocation larger than the host's available memory is refused before anything is mapped
 * (issue 8, item 3: a 2x-device-memory result was faulted in on the host until the kernel killed the
 * JVM). No plugin needed: the refusal happens before the native call.
 */
class PjrtHostMemoryTest {
  @Test
  void moreThanTheHostHasIsRefusedWithTheNumbers() {
    long available = PjrtHostMemory.availableBytes();
    assertTrue(available > 0 && available < Long.MAX_VALUE, "available: " + available);
    try (Arena arena = Arena.ofConfined()) {
      XlaException e = assertThrows(XlaException.class, () -> PjrtHostMemory.allocate(available + (1L << 30), arena));
      assertEquals(XlaException.Code.RESOURCE_EXHAUSTED, e.code());
      assertTrue(e.getMessage().contains("host memory") && e.getMessage().contains("available"), e.getMessage());
    }
  }
}
