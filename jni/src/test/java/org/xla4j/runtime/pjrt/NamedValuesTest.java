package org.xla4j.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The decoder against bytes laid out as native/xla4j_pjrt.h documents, written here by hand. */
class NamedValuesTest {
  private final ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);

  private void name(String n, int type) {
    byte[] s = n.getBytes(StandardCharsets.UTF_8);
    b.putInt(s.length).put(s).put((byte) type);
  }

  private byte[] bytes() {
    byte[] out = new byte[b.position()];
    b.flip().get(out);
    return out;
  }

  @Test
  void decodesEveryTypeInOrder() {
    name("xla_version", 0);
    byte[] v = "0.11.2".getBytes(StandardCharsets.UTF_8);
    b.putInt(v.length).put(v);
    name("stablehlo_current_version", 2);
    b.putInt(3).putLong(1).putLong(9).putLong(3);
    name("flops", 3);
    b.putDouble(32.0);
    name("count", 1);
    b.putLong(-5);
    name("supports_x", 4);
    b.put((byte) 1);
    name("future", 255);
    b.putInt(0);
    Map<String, Object> m = NamedValues.decode(bytes());
    assertEquals(List.of("xla_version", "stablehlo_current_version", "flops", "count", "supports_x", "future"),
        List.copyOf(m.keySet()));
    assertEquals("0.11.2", m.get("xla_version"));
    assertEquals(List.of(1L, 9L, 3L), m.get("stablehlo_current_version"));
    assertEquals(32.0, m.get("flops"));
    assertEquals(-5L, m.get("count"));
    assertEquals(true, m.get("supports_x"));
    assertEquals("?", m.get("future"));
  }

  @Test
  void emptyIsEmptyAndAnUnknownTypeIsAnError() {
    assertEquals(Map.of(), NamedValues.decode(new byte[0]));
    name("bad", 9);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> NamedValues.decode(bytes()));
    assertEquals("named value 'bad': the shim wrote type 9", e.getMessage());
  }
}
