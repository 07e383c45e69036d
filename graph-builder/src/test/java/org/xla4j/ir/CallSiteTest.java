package org.xla4j.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.xla4j.internalfake.InternalHelper;

/** The call site an error names is the user's line: never an internal org.xla4j frame, never ":null"/":0". */
class CallSiteTest {
  @Test
  void internalFramesOfAnyXla4jPackageAreSkipped() {
    OpException e = assertThrows(OpException.class, () -> InternalHelper.addMismatched());
    assertEquals("CallSiteTest.java", e.location().file(), e.getMessage());
    assertTrue(e.getMessage().contains("CallSiteTest.internalFramesOfAnyXla4jPackageAreSkipped(CallSiteTest.java:"),
        e.getMessage());
    assertFalse(e.getMessage().contains("InternalHelper"), e.getMessage());
  }

  @Test
  void unknownPartsAreLeftOutNotPrintedAsNullOrZero() {
    String m = new OpException("add", "requires equal shapes", Location.UNKNOWN).getMessage();
    assertEquals("add: requires equal shapes", m);
    assertEquals("add: requires equal shapes (in scope layer1)",
        new OpException("add", "requires equal shapes", new Location("layer1", "unknown", 0, "")).getMessage());
    assertEquals("Model.forward(Model.java)", new Location("", "Model.java", -1, "Model.forward").callSite());
    assertEquals("Model.forward(unknown source)", new Location("", "unknown", 0, "Model.forward").callSite());
    assertEquals("layer1 at Model.forward(Model.java:7)", new Location("layer1", "Model.java", 7, "Model.forward").toString());
  }
}
