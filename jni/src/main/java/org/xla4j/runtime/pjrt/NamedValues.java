package org.xla4j.runtime.pjrt;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes PJRT named values (plugin attributes, cost properties) as the shim encodes them (see
 * {@code x4j_plugin_attributes} in {@code native/xla4j_pjrt.h}) into an ordered, unmodifiable map:
 * String, Long, {@code List<Long>}, Double or Boolean; a value of a type the shim does not know maps to
 * the string {@code "?"}.
 */
final class NamedValues {
  private static final int STRING = 0;
  private static final int INT64 = 1;
  private static final int INT64_LIST = 2;
  private static final int FLOAT = 3;
  private static final int BOOL = 4;
  private static final int UNKNOWN = 255;

  private NamedValues() {}

  static Map<String, Object> decode(byte[] encoded) {
    ByteBuffer b = ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN);
    Map<String, Object> out = new LinkedHashMap<>();
    while (b.hasRemaining()) {
      String name = string(b);
      int type = Byte.toUnsignedInt(b.get());
      Object value = switch (type) {
        case STRING -> string(b);
        case INT64 -> b.getLong();
        case INT64_LIST -> {
          int n = b.getInt();
          List<Long> l = new ArrayList<>(n);
          for (int i = 0; i < n; i++) l.add(b.getLong());
          yield List.copyOf(l);
        }
        case FLOAT -> b.getDouble();
        case BOOL -> b.get() != 0;
        case UNKNOWN -> {
          b.getInt();
          yield "?";
        }
        default -> throw new IllegalStateException("named value '" + name + "': the shim wrote type " + type);
      };
      out.put(name, value);
    }
    return Collections.unmodifiableMap(out);
  }

  private static String string(ByteBuffer b) {
    int n = b.getInt();
    byte[] bytes = new byte[n];
    b.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
